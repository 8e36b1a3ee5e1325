# The course: the steps in order, the step each one grows from, and the shared blocks each
# step's lesson changes. Read by the top-level CMakeLists.txt, by the docs (the "What changed"
# diffs) and by tests/lessons/check_blocks.cmake (the copies of shared blocks stay equal).

# The steps, in order. Each is a standalone program named like its folder, with a page
# docs/pages/NN-name.md.
set(TUTORIAL_STEPS
  01-initialize
  02-create-socket
  03-bind
  04-listen
  05-accept
  06-send-recv
  07-shutdown
  08-accept-loop
  09-stop-cleanly
  10-complete-server
  11-client
  12-threads
  14-event-loop
  17-completion-ports
  18-process-hand-off
  19-process-per-client
  20-conditional-accept
)

# The main sequence runs from step 1 to this step, each step adding one concept to the one
# before; the steps after it are the client and the other ways to serve many clients.
set(TUTORIAL_MAIN_SEQUENCE_END 10-complete-server)

# In the main sequence, a step's diff from the one before stays under this many changed
# lines (marker lines left out; every C file of the step counts), unless TUTORIAL_LARGE_DIFFS
# says why it cannot. After it, each step's diff from the step it grows from stays under
# TUTORIAL_MAX_DIFF_ADVANCED. Checked by the CTest test course_neighbouring_diffs_are_small.
set(TUTORIAL_MAX_DIFF 150)
set(TUTORIAL_MAX_DIFF_ADVANCED 250)
set(TUTORIAL_LARGE_DIFFS
  "08-accept-loop: steps 6 and 7 move from main() into serve_client(), unchanged but for a client's failure returning instead of ending the program"
  "18-process-hand-off: Windows has no fork(): starting the program again with only the handles it needs, in a job that ends it if the server dies during the hand-off, handing it the connection in Microsoft's order (the child says when it holds its socket), and a child that gives up when nothing comes, take some 190 lines where POSIX calls fork()"
  "19-process-per-client: each part comes twice, since POSIX and Windows learn of a child's end and stop a child differently: SIGCHLD, its pipe and waitpid() against process handles, SIGTERM against a closed pipe that a thread in the child watches"
)

# The steps that do not grow from the step before them, as STEP=BASE (none: a program of its
# own). Their "What changed" diff, and the comparison of their shared blocks, use BASE. The
# servers of many clients are each the complete server changed another way.
set(TUTORIAL_STEP_BASES
  11-client=none
  12-threads=10-complete-server
  14-event-loop=10-complete-server
  18-process-hand-off=10-complete-server
  20-conditional-accept=10-complete-server
)

# The marked blocks (`//! [name]`) that a step changes on purpose, as STEP:NAME: that change
# is the step's lesson. Every other block a step shares with its base is the same, to the
# byte.
set(TUTORIAL_BLOCK_CHANGES
  02-create-socket:cleanup   # the socket and the address list to release
  04-listen:getsockname      # the address is printed once listening
  05-accept:wait             # the wait holds the accepted connection open
  05-accept:cleanup          # the client's socket to close
  08-accept-loop:echo-loop     # in serve_client(): a client's failure returns, not exits
  08-accept-loop:send-all      # the same
  08-accept-loop:half-close    # the same
  09-stop-cleanly:echo-loop    # the wait in slices before each recv()
  09-stop-cleanly:accept-loop  # the stop flag, and the wait in slices before accept()
  10-complete-server:wait-for-client # the idle timeout, and the wait for room to send
  10-complete-server:echo-loop # a non-blocking socket: "would block", and waits for room
  10-complete-server:send-all  # the same
  10-complete-server:accept-loop # a non-blocking listener, and non-blocking clients
  12-threads:accept-loop       # the limit, and the hand-off to a thread
  14-event-loop:cleanup        # the clients' sockets and memory; no ClientSocket of main's
  17-completion-ports:stop-handler        # the console handler also wakes the port's wait
  17-completion-ports:report-client-error # the error comes with the completion
  17-completion-ports:finish              # the end of the stream is a completion of 0 bytes
  17-completion-ports:idle-timeout        # a list in order of activity, read from its oldest
  18-process-hand-off:socket      # Windows: a listener that no child inherits
  18-process-hand-off:accept-loop # the hand-off to a child process; the parent's copy closed
  19-process-per-client:accept-loop    # the limit, and the wait for a connection or a child's end
  19-process-per-client:no-zombies     # SIGCHLD's handler and its pipe, instead of SIGCHLD ignored
  19-process-per-client:fork           # the child closes that pipe; the parent notes the pid
  19-process-per-client:create-process # Windows: the parent keeps the child's handle, pipe and job
  19-process-per-client:take-over      # Windows: the child watches its pipe for a request to stop
  20-conditional-accept:accept-loop       # the check of the caller's address
)
