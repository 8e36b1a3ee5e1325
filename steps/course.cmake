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
  08-complete-server
  09-client
  10-threads
  11-event-loop
)

# The steps that do not grow from the step before them, as STEP=BASE (none: a program of its
# own). Their "What changed" diff, and the comparison of their shared blocks, use BASE. The
# servers of many clients are each the complete server changed another way.
set(TUTORIAL_STEP_BASES
  09-client=none
  10-threads=08-complete-server
  11-event-loop=08-complete-server
)

# The marked blocks (`//! [name]`) that a step changes on purpose, as STEP:NAME: that change
# is the step's lesson. Every other block a step shares with its base is the same, to the
# byte.
set(TUTORIAL_BLOCK_CHANGES
  02-create-socket:cleanup   # the socket and the address list to release
  04-listen:getsockname      # the address is printed once listening
  05-accept:wait             # the wait holds the accepted connection open
  05-accept:cleanup          # the client's socket to close
  08-complete-server:echo-loop # waits in slices, a non-blocking socket, the idle timeout
  10-threads:accept-loop     # the limit, and the hand-off to a thread
)
