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
  13-poll-loop
  14-event-loop
  15-completion-loop
  16-accept-ahead
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
  "13-poll-loop: the loop replaces step 10's serve_client() and its waits in slices (about 100 lines taken out), and needs a struct per client, the arrays poll() reads and a function that serves one ready client (the calls themselves stay, and all that step 14 adds is left out)"
  "15-completion-loop: the calls of two systems that share no API come in whole, one small file each (ports_iocp.c for a completion port and AcceptEx, ports_uring.c for an io_uring), and the complete server's serve_client() and accept loop give way to one loop that acts on completions"
  "18-process-hand-off: Windows has no fork(): starting the program again with only the handles it needs, in a job that ends it if the server dies during the hand-off, handing it the connection in Microsoft's order (the child says when it holds its socket), and a child that gives up when nothing comes, take some 190 lines where POSIX calls fork()"
  "19-process-per-client: each part comes twice, since POSIX and Windows learn of a child's end and stop a child differently: SIGCHLD, its pipe and waitpid() against process handles, SIGTERM against a closed pipe that a thread in the child watches"
  "20-conditional-accept: the --allow list (parsing ADDRESS/PREFIX, IPv4-mapped rules, matching bit by bit) takes a hundred lines of its own beside the conditional accept"
)

# The steps that do not grow from the step before them, as STEP=BASE (none: a program of its
# own). Their "What changed" diff, and the comparison of their shared blocks, use BASE. The
# servers of many clients are each the complete server changed another way.
set(TUTORIAL_STEP_BASES
  11-client=none
  12-threads=10-complete-server
  13-poll-loop=10-complete-server
  15-completion-loop=10-complete-server
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
  14-event-loop:client-state   # no buffer of its own, the time of the last byte, the park
  14-event-loop:wanted-events  # the same test, now a choice: backpressure
  14-event-loop:read           # into the buffer every client shares; the time of the last byte
  14-event-loop:echo           # from the shared buffer or the copy; the park (WSAPoll)
  14-event-loop:event-loop     # --max-clients, the pause of the listener, the idle timeout
  14-event-loop:poll           # a shorter wait while the listener or a client is left out
  14-event-loop:cleanup        # no ClientSocket of main's: each accepted one is the loop's at once
  15-completion-loop:stop-handler        # the console handler also wakes the port's wait
  15-completion-loop:report-client-error # the error comes with the completion
  15-completion-loop:cleanup             # the connections are the loop's: no ClientSocket of main's
  16-accept-ahead:connection             # its time of last activity, its place in that order
  16-accept-ahead:open-port              # the port's queues sized for --max-clients
  16-accept-ahead:post-accepts           # many accepts ahead, counted by --max-clients
  16-accept-ahead:completion-loop        # the limit's message, and the idle timeout each turn
  17-completion-ports:connection         # no buffer of its own: one lent, and a place in line
  17-completion-ports:close-in-flight    # out of the line of connections waiting for a buffer
  17-completion-ports:backpressure       # the buffer goes back once the echo is sent
  17-completion-ports:completion-loop    # a quiet turn gives the spare buffers back
  18-process-hand-off:socket      # Windows: a listener that no child inherits
  18-process-hand-off:accept-loop # the hand-off to a child process; the parent's copy closed
  19-process-per-client:accept-loop    # the limit, and the wait for a connection or a child's end
  19-process-per-client:no-zombies     # SIGCHLD's handler and its pipe, instead of SIGCHLD ignored
  19-process-per-client:fork           # the child closes that pipe; the parent notes the pid
  19-process-per-client:create-process # Windows: the parent keeps the child's handle, pipe and job
  19-process-per-client:take-over      # Windows: the child watches its pipe for a request to stop
  20-conditional-accept:accept-loop       # the check of the caller's address
)
