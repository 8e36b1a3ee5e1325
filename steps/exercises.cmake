# The exercises of the learner's workspace (`cmake --workflow --preset learn`): for each step,
# the marked blocks (`//! [name]`) its starter leaves for the learner to write, and what the
# TODO that takes their place says. cmake/workspace.cmake makes the starters from the steps'
# own files, so a change to a step changes its starter; tests/lessons/check_starters.cmake
# proves that every starter builds and fails at least one of its step's tests.
#
#   tutorial_exercise(<step> <block> "<the task: one or two sentences, the calls to use>"
#                     [FILE <file in the step's folder, main.c unless given>]
#                     [KEEP "<code left in place so that the starter compiles>"]
#                     [USES <names the missing lines use: marked used, so that the
#                            starter compiles without a warning>...])

tutorial_exercise(01-initialize startup
  "Start the socket library with net_startup() (on Windows it calls WSAStartup(MAKEWORD(2, 2)) and checks the version; on POSIX there is nothing to start). If it fails, it has reported why: return NET_EXIT_FAILURE.")
tutorial_exercise(01-initialize describe
  "Print what was started, on a line of its own: net_library_description().")
tutorial_exercise(01-initialize cleanup
  "Release the library: net_cleanup() (WSACleanup() on Windows), once per successful start.")

tutorial_exercise(02-create-socket resolve
  "Resolve opts.host and opts.port into res with getaddrinfo(): hints for a TCP socket (SOCK_STREAM, IPPROTO_TCP) of any family (AF_UNSPEC), to bind to (AI_PASSIVE). On failure: report_gai_error(\"getaddrinfo\", rc) and goto cleanup."
  KEEP "    if (res == NULL) /* until your lines above fill res */\n        goto cleanup;"
  USES hints rc)
tutorial_exercise(02-create-socket socket
  "Create ListenSocket with socket(), with the family, type and protocol of the first address in res. On failure (INVALID_SOCKET): report_socket_error(\"socket\") and goto cleanup.")

tutorial_exercise(03-bind address-reuse
  "On POSIX only (#ifndef _WIN32), set SO_REUSEADDR on ListenSocket with setsockopt(), so that a restart can bind while old connections wait out TIME_WAIT. Windows needs nothing: the page says why."
  USES on)
tutorial_exercise(03-bind v6only
  "For an IPv6 address (res->ai_family == AF_INET6), set IPV6_V6ONLY with setsockopt() (level IPPROTO_IPV6), so that the socket takes IPv6 only, the same on every system.")
tutorial_exercise(03-bind bind
  "Give the socket its address: bind() with res->ai_addr and res->ai_addrlen. On failure: report_socket_error(\"bind\") and goto cleanup.")
tutorial_exercise(03-bind getsockname
  "Ask which address the socket really got (port 0 lets the system choose): getsockname() into bound, then print `bound to ADDRESS` (net_format_address()) and fflush(stdout)."
  USES bound bound_len address)

tutorial_exercise(04-listen listen
  "Make the socket listen: listen(ListenSocket, SOMAXCONN). On failure: report_socket_error(\"listen\") and goto cleanup. Then print `listening on ADDRESS` and fflush(stdout).")

tutorial_exercise(05-accept accept
  "Take the first connection off the queue: accept() into ClientSocket, asking for the client's address (peer, peer_len). On failure: report_socket_error(\"accept\") and goto cleanup. Print `accepted connection from ADDRESS` and fflush(stdout)."
  USES peer peer_len)
tutorial_exercise(05-accept close-listener
  "This server serves one client: close the listening socket now (closesocket(), then set ListenSocket to INVALID_SOCKET), and print `stopped listening: the next client is refused`.")

tutorial_exercise(06-send-recv echo-loop
  "Echo until the client is done: recv() into recvbuf; more than 0 bytes: send() them all back (loop: send() may take fewer; pass MSG_NOSIGNAL) and add them to total; 0: the client has finished, leave the loop; SOCKET_ERROR: report_socket_error(\"recv\") and goto cleanup. Then print `received and echoed N bytes; the client has finished sending`."
  USES recvbuf received sent result total)

tutorial_exercise(07-shutdown half-close
  "End our direction: shutdown(ClientSocket, SD_SEND), so that the client reads the whole echo, then the end of the stream. On failure: report_socket_error(\"shutdown\") and goto cleanup.")

tutorial_exercise(08-accept-loop accept-loop
  "Serve client after client until --clients N (opts.clients, 0: no limit): accept() each one (on failure, ask net_classify_accept_error(): skip, pause BACK_OFF_MS, or goto cleanup), serve it with serve_client(), print `served ADDRESS: echoed N bytes`, close it. After the loop, print `shut down after N clients`."
  USES serve_client peer peer_len accepted echoed)

tutorial_exercise(09-stop-cleanly install-handler
  "Make Ctrl-C set stop_requested instead of ending the process: on Windows SetConsoleCtrlHandler(on_console_event, TRUE); on POSIX sigaction() for SIGINT and SIGTERM with on_stop_signal, and no SA_RESTART. Return 0, or -1 if it fails."
  KEEP "#ifdef _WIN32\n    (void)on_console_event; /* used by the lines you write */\n#else\n    (void)on_stop_signal; /* used by the lines you write */\n#endif\n    return -1;")
tutorial_exercise(09-stop-cleanly accept-loop
  "As in step 8, but stop when stop_requested is set: before accept(), wait for a connection in slices of STOP_CHECK_MS (net_wait_readable()), looking at the flag between two; an accept() that fails with EINTR (net_would_block()) only means: look at the flag."
  USES serve_client peer peer_len accepted echoed)

tutorial_exercise(10-complete-server sigpipe
  "Ignore SIGPIPE (net_ignore_sigpipe()), so that the server's own output going nowhere (`| head -n 1`) cannot end it. If it fails: report_message(\"cannot ignore SIGPIPE\") and return NET_EXIT_FAILURE.")
tutorial_exercise(10-complete-server wait-for-room
  "The socket's buffers are full (send() would block): wait until there is room again, with wait_for_client(ClientSocket, 1, peer, idle_timeout_ms); if it gives up, return -1. Then set result to 0: nothing was sent this time round."
  KEEP "                return -1;")

tutorial_exercise(11-client connect-loop
  "Try the addresses in res, in order, until one connects: socket() and connect() for each; keep the last failure (failed_call, last_error) and close the socket before the next try. If none connects, report_error_code(failed_call, last_error) and goto cleanup. Then report `connected to ADDRESS` (report_message())."
  USES ptr address failed_call last_error)
tutorial_exercise(11-client half-close
  "Once everything is sent and the input has ended (pending == 0 and !reading_input), and only once: shutdown(ConnectSocket, SD_SEND), then set sending_done. On failure: report_socket_error(\"shutdown\") and goto cleanup.")

tutorial_exercise(12-threads hand-off
  "Hand the client to a thread of its own: a struct client on the heap (malloc) with its socket and address, shared.active counted up under shared.lock, then thread_start(&client->thread, client_thread, client). If that fails, count it down again, close the socket, free the struct, pause BACK_OFF_MS. Count the client in accepted once its thread runs."
  USES client client_thread)
tutorial_exercise(12-threads client-limit
  "At the limit (shared.active >= max, under shared.lock): say once `N clients at once: new connections wait until one leaves`, and sleep on shared.changed for up to STOP_CHECK_MS (thread_cond_wait_ms())."
  KEEP "    under = 1; /* no limit yet */"
  USES max said_so)

tutorial_exercise(14-event-loop poll
  "Wait until a socket is ready or the timeout passes: net_poll(fds, count, timeout) (poll() on POSIX, WSAPoll() on Windows). On failure: report_socket_error(NET_POLL_CALL) and goto cleanup."
  KEEP "        int ready = 0;\n        (void)ready;")
tutorial_exercise(14-event-loop read
  "If the client may be read (no echo waiting, not finished) and poll() said readable (POLLIN, POLLHUP or POLLERR): recv() into readbuf; bytes: echo them at once with send() and keep in c->pending only what the socket did not take; 0: c->finished_sending = 1; an error that is not \"would block\": report_client_error(\"recv from\", c->peer) and return 0."
  USES readbuf)

tutorial_exercise(17-completion-ports backpressure
  "A receive completed with data: echo it (continue_echo()), and post the next receive only once the echo is sent, so that a client that reads nothing is not read from.")

tutorial_exercise(18-process-hand-off fork
  "POSIX: fork() a process for this client. In the child (fork() returned 0): close the listening socket, then exit() with what serve_in_child() returns. In the parent: return 0. If fork() fails: report_socket_error(\"fork\") and return -1. Flush stdout and stderr first, or the child writes their unwritten lines a second time."
  KEEP "    return -1;"
  USES ListenSocket ClientSocket peer idle_timeout_ms serve_in_child)
tutorial_exercise(18-process-hand-off no-zombies
  "POSIX: ignore SIGCHLD with sigaction() (sa_handler SIG_IGN), so that the system discards each ended child's exit status instead of keeping it, as a zombie, for a waitpid() this server never calls. If it fails: report_message(\"cannot ignore SIGCHLD\") and return NET_EXIT_FAILURE.")

tutorial_exercise(19-process-per-client waitpid-loop
  "POSIX: collect every child that has ended: waitpid(-1, &status, WNOHANG) until it returns 0 (children still run) or -1 (none left), one SIGCHLD may stand for several. For each pid, find its struct child in the list; if WIFSIGNALED(status), report `the process serving PEER (pid N) was killed by signal S (NAME)` (strsignal()); then forget_child()."
  KEEP "    pid = 0;"
  USES status)
tutorial_exercise(19-process-per-client client-limit
  "Accept only while live_children < opts.max_clients: set accepting to that. On reaching the limit, say once (at_limit remembers it) `N clients at once: new connections wait until one leaves`, and fflush(stdout)."
  KEEP "        int accepting = 1; /* no limit yet */"
  USES at_limit)

tutorial_exercise(20-conditional-accept check-after-accept
  "POSIX: the connection exists already. If address_allowed() says no, turn it away with refuse_with_reset(), print `refused ADDRESS: not in --allow`, count it in refused and go on with the next client."
  USES address_allowed)
tutorial_exercise(20-conditional-accept refuse-with-reset
  "Close the connection with a reset rather than an orderly end: SO_LINGER {1, 0} with setsockopt(), then closesocket().")
