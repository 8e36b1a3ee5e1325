# Each step's lessons, and the test that fails when a lesson is taken out of the step.
# run_mutations.cmake (the lesson-mutation check, run by .ci/run) proves every entry: it
# replaces FIND by REPLACE (and FIND2 by REPLACE2) in a copy of FILE (the step's main.c
# unless given), rebuilds, and expects TEST to fail. LESSON is the lesson in one sentence, for
# a learner: each step page's "Proven by" table shows it beside TEST, and a failing TEST
# prints it. WHAT says what the mutation takes away. PLATFORM windows: the lesson shows on
# Windows only, and is proven by the Windows build, its tests run under Wine.
# lesson_list.cmake reads this file for all three.
#
#   lesson(<name> STEP <step> TEST <ctest name> LESSON "<...>" WHAT "<...>"
#          FIND [[<text>]] REPLACE [[<text>]] [FIND2 [[<text>]] REPLACE2 [[<text>]]]
#          [PLATFORM windows] [FILE <path>])

# Step 1: start the socket library.
lesson(startup-winsock STEP 01-initialize PLATFORM windows
  TEST step01_reports_the_socket_library_and_exits_0
  LESSON "On Windows, a program starts Winsock with WSAStartup() before its first socket call."
  WHAT "never call WSAStartup(): Winsock is not started, and nothing works"
  FIND [[
    if (net_startup() != 0)
        return NET_EXIT_FAILURE; /* already reported */
]] REPLACE [[
]])

# Step 2: resolve any address family, check what the resolver says.
lesson(resolve-any-family STEP 02-create-socket
  TEST step02_creates_an_ipv6_socket_for_an_ipv6_host
  LESSON "getaddrinfo() with AF_UNSPEC resolves IPv4 and IPv6 addresses alike, so one program serves both."
  WHAT "ask getaddrinfo() for IPv4 only, instead of AF_UNSPEC"
  FIND [[hints.ai_family = AF_UNSPEC;]] REPLACE [[hints.ai_family = AF_INET;]])
lesson(resolve-check STEP 02-create-socket
  TEST step02_unknown_host_reports_getaddrinfo_and_exits_1
  LESSON "getaddrinfo() reports its own errors: check its result before using the address list."
  WHAT "use getaddrinfo()'s result without checking that it succeeded"
  FIND [[
    if (rc != 0) {
        report_gai_error("getaddrinfo", rc);
        goto cleanup;
    }
]] REPLACE [[
]])

# Step 3: who may share the port, IPv6 only, the port really bound.
lesson(reuse-address STEP 03-bind
  TEST step03_binds_a_port_whose_last_connection_waits_in_time_wait
  LESSON "On POSIX, SO_REUSEADDR lets a restarted server bind its port while the last connection waits out TIME_WAIT."
  WHAT "set no SO_REUSEADDR: a restart cannot bind while the last connection waits out TIME_WAIT"
  FIND [[    if (setsockopt(ListenSocket, SOL_SOCKET, SO_REUSEADDR, (const char *)&on, (int)sizeof on) ==
        SOCKET_ERROR) {]] REPLACE [[    if (0) {]])
lesson(v6only STEP 03-bind
  TEST step03_an_ipv6_wildcard_bind_leaves_ipv4_to_others
  LESSON "IPV6_V6ONLY makes a socket on [::] take IPv6 only, the same on every system, leaving IPv4 to others."
  WHAT "leave IPV6_V6ONLY at the system's default: on Linux, [::] claims the IPv4 port too"
  FIND [[    if (res->ai_family == AF_INET6 &&]] REPLACE [[    if (0 && res->ai_family == AF_INET6 &&]])
lesson(getsockname STEP 03-bind
  TEST step03_port_zero_prints_the_port_the_system_chose
  LESSON "getsockname() tells which address the socket really got: with port 0, the port the system chose."
  WHAT "print the address asked for instead of the one getsockname() reports"
  FIND [[net_format_address((struct sockaddr *)&bound, bound_len, address, sizeof address);]]
  REPLACE [[net_format_address(res->ai_addr, res->ai_addrlen, address, sizeof address);]])

# Step 4: listen.
lesson(listen STEP 04-listen
  TEST step04_backlog_completes_connections_without_accept
  LESSON "listen() makes the socket accept connections: the kernel completes them and queues them in the backlog."
  WHAT "never call listen(): clients are refused"
  FIND [[    if (listen(ListenSocket, SOMAXCONN) == SOCKET_ERROR) {]] REPLACE [[    if (0) {]])

# Step 5: accept one client, and stop listening.
lesson(close-listener STEP 05-accept
  TEST step05_refuses_a_second_client_while_it_serves_the_first
  LESSON "A server of one client closes its listener once the client is in, so the next client is refused at once."
  WHAT "keep the listening socket open: a second client is queued for a server that never accepts it"
  FIND [[
    closesocket(ListenSocket);
    ListenSocket = INVALID_SOCKET;
    printf]] REPLACE [[
    printf]])

# Step 6: echo; recv() returning 0 is not an error; no SIGPIPE.
lesson(recv-error STEP 06-send-recv
  TEST step06_a_reset_is_reported_as_a_recv_failure_not_an_end
  LESSON "recv() returning SOCKET_ERROR is a failure (a reset, say), not the end of the stream."
  WHAT "take recv()'s SOCKET_ERROR for the end of the stream"
  FIND [[
        } else if (received == SOCKET_ERROR) {
            /* A failure, not the end: the client reset the connection, for instance. */
            report_socket_error("recv");
            goto cleanup;
        }]] REPLACE [[
        }]])
lesson(msg-nosignal STEP 06-send-recv
  TEST step06_a_client_that_vanished_is_a_send_failure_not_a_sigpipe_death
  LESSON "send() with MSG_NOSIGNAL fails with EPIPE when the client has gone, instead of killing the server with SIGPIPE."
  WHAT "send without MSG_NOSIGNAL: a client that vanished kills the server with SIGPIPE"
  FIND [[received - sent, MSG_NOSIGNAL)]] REPLACE [[received - sent, 0)]])

# Step 7: end our direction with shutdown(SD_SEND).
lesson(shutdown STEP 07-shutdown
  TEST step07_a_reset_after_the_clients_end_is_reported_by_shutdown
  LESSON "shutdown(SD_SEND) ends our direction in order, and reports a reset that closesocket() would hide."
  WHAT "leave the end of our direction to closesocket(): a reset goes unnoticed"
  FIND [[    if (shutdown(ClientSocket, SD_SEND) == SOCKET_ERROR) {]] REPLACE [[    if (0) {]])

# Step 8: client after client.
lesson(accept-loop STEP 08-accept-loop
  TEST step08_serves_several_clients_in_sequence
  LESSON "A server accepts client after client in a loop."
  WHAT "serve one client, then stop"
  FIND [[    while (opts.clients == 0 || accepted < opts.clients) {]]
  REPLACE [[    while (accepted < 1) {]])
lesson(client-failure-ends-client STEP 08-accept-loop
  TEST step08_survives_a_client_that_resets_mid_transfer
  LESSON "A failure that concerns one client ends that client only; the server goes on."
  WHAT "let one client's failure end the server"
  FIND [[        if (serve_client(ClientSocket, address, &echoed) == 0)]]
  REPLACE [[        if (serve_client(ClientSocket, address, &echoed) != 0)
            goto cleanup;
        else]])
lesson(accept-back-off STEP 08-accept-loop
  TEST step08_out_of_descriptors_pauses_and_recovers
  LESSON "Out of descriptors, accept() fails again at once: the server pauses before trying again."
  WHAT "retry a failed accept() at once, out of descriptors or not"
  FIND [[net_sleep_ms(BACK_OFF_MS);]] REPLACE [[(void)0;]])

# Step 9: stop cleanly.
lesson(stop-handler STEP 09-stop-cleanly
  TEST step09_ctrl_c_stops_it_within_a_second_when_idle
  LESSON "Ctrl-C sets a flag that the server's loops look at, so it stops in order."
  WHAT "install no Ctrl-C handler: the process dies, nothing is closed in order"
  FIND [[    if (install_stop_handler() != 0) {]] REPLACE [[    if (0) {]])
lesson(stop-handler-windows STEP 09-stop-cleanly PLATFORM windows
  TEST step09_ctrl_c_stops_it_within_a_second_when_idle
  LESSON "On Windows, a console handler turns Ctrl-C into the stop flag."
  WHAT "install no console handler: Ctrl-Break does not stop the server in order"
  FIND [[    if (install_stop_handler() != 0) {]] REPLACE [[    if (0) {]])
lesson(wait-in-slices-windows STEP 09-stop-cleanly PLATFORM windows
  TEST step09_ctrl_c_closes_the_current_client_and_exits
  LESSON "The server waits for data in short slices, so that it sees the stop flag between two."
  WHAT "wait for a client's data without a time limit: the console handler cannot end that wait"
  FIND [[        int ready = net_wait_readable(ClientSocket, STOP_CHECK_MS);]]
  REPLACE [[        int ready = net_wait_readable(ClientSocket, -1);]])

# Step 10: the complete server.
lesson(nonblocking-send STEP 10-complete-server
  TEST step10_closes_a_client_that_reads_nothing_after_the_idle_timeout
  LESSON "A non-blocking client socket lets the server give up on a client that reads nothing, after the idle timeout."
  WHAT "keep the client's socket blocking: a send() to a client that reads nothing waits for ever, past --idle-timeout (and often past Ctrl-C)"
  FIND [[        if (net_set_nonblocking(ClientSocket) == SOCKET_ERROR)
            report_client_error(NET_NONBLOCKING_CALL " on", address);
        else if]] REPLACE [[        if]])
lesson(nonblocking-send-windows STEP 10-complete-server PLATFORM windows
  TEST step10_ctrl_c_stops_it_at_once_while_a_client_reads_nothing
  LESSON "On Windows, only a non-blocking socket lets Ctrl-C stop a server whose client reads nothing."
  WHAT "keep the client's socket blocking: Windows' console handler cannot interrupt send()"
  FIND [[        if (net_set_nonblocking(ClientSocket) == SOCKET_ERROR)
            report_client_error(NET_NONBLOCKING_CALL " on", address);
        else if]] REPLACE [[        if]]
  # and the listener's too: Winsock gives an accepted socket its listener's mode
  FIND2 [[    if (net_set_nonblocking(ListenSocket) == SOCKET_ERROR) {]] REPLACE2 [[    if (0) {]])
lesson(idle-timeout STEP 10-complete-server
  TEST step10_closes_a_silent_client_after_the_idle_timeout_and_serves_the_next
  LESSON "The idle timeout closes a silent client, and the next client is served."
  WHAT "wait for a silent client for ever"
  FIND [[        if (left <= 0) {]] REPLACE [[        if (0) {]])
lesson(ignore-sigpipe STEP 10-complete-server
  TEST step10_survives_the_reader_of_its_output_going_away
  LESSON "An ignored SIGPIPE keeps the server alive when whoever read its output has gone."
  WHAT "leave SIGPIPE's default: the server dies when whoever reads its output has gone"
  FIND [[    if (net_ignore_sigpipe() != 0) {]] REPLACE [[    if (0) {]])
lesson(reuse-address-server STEP 10-complete-server
  TEST step10_restarts_at_once_on_the_port_its_last_run_used
  LESSON "The complete server restarts at once on the port its last run used (SO_REUSEADDR on POSIX)."
  WHAT "set no SO_REUSEADDR: a restart fails while the last run's connection waits out TIME_WAIT"
  FIND [[    if (setsockopt(ListenSocket, SOL_SOCKET, SO_REUSEADDR, (const char *)&on, (int)sizeof on) ==
        SOCKET_ERROR) {]] REPLACE [[    if (0) {]])
lesson(v6only-server STEP 10-complete-server
  TEST step10_an_ipv6_wildcard_server_leaves_ipv4_to_others
  LESSON "The complete server on [::] takes IPv6 only, leaving IPv4 to others (IPV6_V6ONLY)."
  WHAT "leave IPV6_V6ONLY at the system's default: on Linux, a server on [::] takes the IPv4 port too"
  FIND [[    if (res->ai_family == AF_INET6 &&]] REPLACE [[    if (0 && res->ai_family == AF_INET6 &&]])

# Step 11: the client.
lesson(client-half-close STEP 11-client
  TEST step11_round_trip_through_the_complete_server
  LESSON "The client shuts down its sending side once all is sent, so the server knows it is done."
  WHAT "never shut down the sending side: the server waits for more, and the client for its answer"
  FIND [[            if (shutdown(ConnectSocket, SD_SEND) == SOCKET_ERROR) {]] REPLACE [[            if (0) {]])
lesson(client-both-directions STEP 11-client
  TEST step11_pipes_16_mib_of_binary_input_back_unchanged
  LESSON "The client sends and receives at the same time, so a large echo never stalls both sides."
  WHAT "read no answer until all the input is sent: the echo server stops reading, and both wait"
  FIND [[entry.events = (short)((receiving_done ? 0 : POLLIN) | (pending > 0 ? POLLOUT : 0));]]
  REPLACE [[entry.events = (short)((receiving_done || reading_input || pending > 0 ? 0 : POLLIN) |
                               (pending > 0 ? POLLOUT : 0));]])
lesson(client-next-address STEP 11-client
  TEST step11_tries_the_next_address_when_the_first_is_refused
  LESSON "The client tries each address getaddrinfo() returns until one connects."
  WHAT "try only the first address getaddrinfo() returns"
  FIND [[for (ptr = res; ptr != NULL; ptr = ptr->ai_next) {]]
  REPLACE [[for (ptr = res; ptr != NULL; ptr = NULL) {]])

# Step 12: a thread per client.
lesson(client-limit STEP 12-threads
  TEST step12_at_the_limit_new_connections_wait_until_a_client_leaves
  LESSON "At --max-clients, new connections wait in the backlog until a client leaves."
  WHAT "start a thread for every connection, however many"
  FIND [[    if (shared.active >= max) {]] REPLACE [[    if (0) {]])
lesson(thread-idle-timeout STEP 12-threads
  TEST step12_silent_clients_at_the_limit_are_closed_after_the_idle_timeout
  LESSON "A silent client holds its thread only until the idle timeout."
  WHAT "let silent clients hold their threads for ever"
  FIND [[        if (left <= 0) {]] REPLACE [[        if (0) {]])

# Step 14: the event loop.
lesson(backpressure STEP 14-event-loop
  TEST step14_stops_reading_a_client_that_does_not_read_and_resumes_when_it_does
  LESSON "The event loop stops reading a client whose echo waits, and resumes when the client reads."
  WHAT "read a client even while its last echo still waits"
  FIND [[    if (c->pending != NULL)
        return POLLOUT;]] REPLACE [[    if (c->pending != NULL)
        return POLLOUT | POLLIN;]]
  FIND2 [[if (c->pending == NULL && !c->finished_sending && (revents & (POLLIN | POLLHUP | POLLERR))) {]]
  REPLACE2 [[if (!c->finished_sending && (revents & (POLLIN | POLLHUP | POLLERR))) {]])
lesson(shared-buffer STEP 14-event-loop
  TEST step14_an_idle_client_costs_a_few_hundred_bytes
  LESSON "An idle client costs a few hundred bytes: the loop reads into one shared buffer."
  WHAT "give every client a 64 KiB buffer of its own, used or not"
  FIND [[struct client *c = calloc(1, sizeof *c);]] REPLACE [[struct client *c = calloc(1, sizeof *c + READ_BUFLEN);]])
lesson(loop-idle-timeout STEP 14-event-loop
  TEST step14_closes_a_silent_client_after_the_idle_timeout
  LESSON "The event loop closes a silent client after the idle timeout."
  WHAT "never close a silent client"
  FIND [[if (keep && now - c->last_active_ms >= idle_timeout_ms) {]] REPLACE [[if (0) {]])
lesson(close-listener-at-n STEP 14-event-loop
  TEST step14_stops_listening_once_the_last_client_it_will_serve_is_in
  LESSON "With --clients N, the loop closes its listener once the last client it will serve is in."
  WHAT "keep listening once the last client it will serve is in"
  FIND [[if (ListenSocket != INVALID_SOCKET && opts.clients != 0 && accepted >= opts.clients) {]]
  REPLACE [[if (0) {]])

# Step 17: the completion model.
# The port must end what is in flight when it closes a connection.
lesson(cancel-in-flight STEP 17-completion-ports FILE steps/17-completion-ports/ports_uring.c
  TEST step17_closes_a_silent_client_after_the_idle_timeout
  LESSON "On Linux, a connection's receive in flight is cancelled before its socket is closed."
  WHAT "close() a socket with a receive in flight, without cancelling it: io_uring keeps the socket open, and the client never learns it was closed"
  FIND [[            io_uring_prep_cancel(sqe, operation, 0);]]
  REPLACE [[            io_uring_prep_nop(sqe);]])
lesson(cancel-in-flight-windows STEP 17-completion-ports PLATFORM windows
  FILE steps/17-completion-ports/ports_iocp.c
  TEST step17_closes_a_client_that_does_not_read_after_the_idle_timeout
  LESSON "On Windows, a connection's operations in flight are cancelled before its socket is freed."
  WHAT "rely on closesocket() alone to end a pending WSASend: under Wine 8 it stays pending, and the connection can never be freed"
  FIND [[        if (!CancelIoEx((HANDLE)s, NULL) && GetLastError() != ERROR_NOT_FOUND)]]
  REPLACE [[        if (0)]])

# AcceptEx must complete when a client connects, not when it first speaks.
lesson(acceptex-no-data STEP 17-completion-ports PLATFORM windows
  FILE steps/17-completion-ports/ports_iocp.c
  TEST step17_closes_a_silent_client_after_the_idle_timeout
  LESSON "AcceptEx() completes when a client connects, not when it first sends."
  WHAT "ask AcceptEx for the first byte of data too: a client that connects and says nothing is never accepted"
  FIND [[slot->AcceptSocket, slot->addresses, 0, ADDRESS_ROOM,]]
  REPLACE [[slot->AcceptSocket, slot->addresses, 1, ADDRESS_ROOM,]])

# A missing io_uring is reported, not a crash.
lesson(io-uring-missing STEP 17-completion-ports FILE steps/17-completion-ports/ports_uring.c
  TEST step17_reports_a_missing_io_uring_and_exits_1
  LESSON "A system without io_uring gets a clear report and exit code 1."
  WHAT "go on when io_uring_queue_init_params() fails (ENOSYS on an old kernel, EPERM in a container)"
  FIND [[        report_error_code("io_uring_queue_init_params", -rc);
        goto fail;]]
  REPLACE [[]])

# Backpressure: the next receive only when the echo is sent.
lesson(completion-backpressure STEP 17-completion-ports
  TEST step17_stops_reading_a_client_that_does_not_read_and_resumes_when_it_does
  LESSON "The completion loop receives again only once the echo is sent."
  WHAT "receive again at once instead of after the echo (here the echo is dropped: a connection has one operation in flight)"
  FIND [[        touch(server, c, now);
        continue_echo(server, c);]]
  REPLACE [[        touch(server, c, now);
        c->echoed += c->length;
        port_release_buffer(server->port, c->buffer);
        c->buffer = PORT_NO_BUFFER;
        start_receive(server, c);]])

# The idle timeout reads a list kept in order of activity.
lesson(activity-order STEP 17-completion-ports
  TEST step17_closes_a_silent_client_after_the_idle_timeout
  LESSON "Connections are kept in order of activity, so the idle sweep finds every silent one."
  WHAT "note the time of activity but leave the connection where it is in the list: the sweep stops at a busy client and misses the silent one behind it"
  FIND [[    link_remove(&c->activity);
    link_append(&server->activity, &c->activity);]]
  REPLACE [[    if (c->activity.next == &c->activity)
        link_append(&server->activity, &c->activity);]])

# A burst's buffers go back to the system when it is over.
lesson(trim-buffers STEP 17-completion-ports
  TEST step17_after_a_burst_an_idle_client_costs_a_few_hundred_bytes
  LESSON "After a burst, the buffers' memory goes back to the system."
  WHAT "keep the buffers' pages after a burst: on Linux every buffer made stays resident, and an idle client seems to cost a kilobyte more"
  FIND [[            port_trim_buffers(server.port); /* a quiet turn: no burst's memory kept */]]
  REPLACE [[            (void)0;]])

# Out of descriptors: pause, do not spin.
lesson(back-off STEP 17-completion-ports
  TEST step17_out_of_descriptors_neither_stops_nor_spins
  LESSON "Out of descriptors, the completion loop pauses its accepts instead of spinning."
  WHAT "post accepts again at once after EMFILE: each fails at once, again and again"
  FIND [[        server->paused_until_ms = now + BACK_OFF_MS;]]
  REPLACE [[        server->paused_until_ms = now;]])

# --max-clients counts the accepts in flight.
lesson(max-clients STEP 17-completion-ports
  TEST step17_at_the_limit_new_connections_wait_until_a_client_leaves
  LESSON "--max-clients counts the connections open and the accepts posted."
  WHAT "post accepts without counting the connections open"
  FIND [[server->open + server->accepts_posted < server->max_clients &&]]
  REPLACE [[1 &&]])

# A connection that found no buffer receives again when one is free.
lesson(serve-waiting STEP 17-completion-ports
  TEST step17_clients_wait_for_a_buffer_when_all_are_lent
  LESSON "A connection that found every buffer lent receives as soon as one is free."
  WHAT "leave connections that found every buffer lent out waiting for ever"
  FIND [[        serve_waiting_connections(&server);]]
  REPLACE [[        (void)serve_waiting_connections;]])

# Step 18: a process per client, handed over.
lesson(fork-closes-listener STEP 18-process-hand-off
  TEST step18_children_do_not_keep_the_port_when_the_server_is_gone
  LESSON "A forked child closes the listening socket, so the port closes with the server."
  WHAT "let each child keep the listening socket: the port stays open after the server is gone"
  FIND [[        closesocket(ListenSocket);
        exit(serve_in_child(]]
  REPLACE [[        exit(serve_in_child(]])
lesson(listener-not-inherited-windows STEP 18-process-hand-off PLATFORM windows
  TEST step18_children_do_not_keep_the_port_when_the_server_is_gone
  LESSON "On Windows, a child gets only the handles its list names, and the listener is made not inheritable: the port closes with the server."
  WHAT "make the listener inheritable and hand the child every inheritable handle: the child keeps the port open after the server is gone"
  FIND [[                              WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
#else]]
  REPLACE [[                              WSA_FLAG_OVERLAPPED);
#else]]
  FIND2 [[    if (!UpdateProcThreadAttribute(list, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, handles,]]
  REPLACE2 [[    if (0 && !UpdateProcThreadAttribute(list, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, handles,]])
lesson(handoff-parent-closes-its-copy STEP 18-process-hand-off
  TEST step18_a_child_killed_ends_its_client_only
  LESSON "The parent closes its copy of each connection once a child has it, so a child's end ends the connection."
  WHAT "keep the parent's copy of each connection: a client whose child dies waits for ever"
  FIND [=[        closesocket(ClientSocket);
        ClientSocket = INVALID_SOCKET;
        //! [hand-off]]=]
  REPLACE [=[        ClientSocket = INVALID_SOCKET;
        //! [hand-off]]=])
lesson(handoff-parent-closes-its-copy-windows STEP 18-process-hand-off PLATFORM windows
  TEST step18_a_child_killed_ends_its_client_only
  LESSON "On Windows too, the parent closes its socket once the child holds its own, so a child's end ends the connection."
  WHAT "keep the parent's socket for each connection: a client whose child dies waits for ever"
  FIND [=[        closesocket(ClientSocket);
        ClientSocket = INVALID_SOCKET;
        //! [hand-off]]=]
  REPLACE [=[        ClientSocket = INVALID_SOCKET;
        //! [hand-off]]=])
lesson(no-zombies STEP 18-process-hand-off
  TEST step18_leaves_no_zombie_after_200_clients
  LESSON "With SIGCHLD ignored, an ended child leaves no zombie behind for a status nobody reads."
  WHAT "leave SIGCHLD's default: every ended child stays a zombie"
  FIND [[    action.sa_handler = SIG_IGN;]] REPLACE [[    action.sa_handler = SIG_DFL;]])
lesson(handoff-gives-up-windows STEP 18-process-hand-off PLATFORM windows
  TEST step18_a_child_whose_connection_never_comes_gives_up
  LESSON "On Windows, a child whose connection does not come gives up after a while, so that it cannot outlive its server."
  WHAT "wait for the connection's description for ever"
  FIND [[            (available == 0 && net_now_ms() >= deadline)) {]] REPLACE [[            0) {]])
lesson(handoff-job-windows STEP 18-process-hand-off PLATFORM windows
  TEST step18_a_server_killed_outright_leaves_no_process_behind
  LESSON "On Windows, a child is started in a job that ends it if the server dies before the hand-off is done."
  WHAT "start the child in no job: a server killed while it starts a child leaves that child suspended for ever"
  FIND [[        !UpdateProcThreadAttribute(list, 0, PROC_THREAD_ATTRIBUTE_JOB_LIST, &job, sizeof job, NULL,
                                   NULL))]]
  REPLACE [[        0)]])
lesson(handoff-idle-timeout-windows STEP 18-process-hand-off PLATFORM windows
  TEST step18_serves_a_client_while_another_is_silent_and_closes_that_one_after_the_idle_timeout
  LESSON "On Windows, the child gets the server's --idle-timeout with its connection."
  WHAT "hand the child the default idle timeout instead of the server's"
  FIND [[    handoff.idle_timeout_ms = idle_timeout_ms;]]
  REPLACE [[    handoff.idle_timeout_ms = 1000LL * DEFAULT_IDLE_TIMEOUT;]])
lesson(child-idle-timeout STEP 18-process-hand-off
  TEST step18_serves_a_client_while_another_is_silent_and_closes_that_one_after_the_idle_timeout
  LESSON "Each child closes its silent client after the idle timeout, while other processes serve the others."
  WHAT "wait for a silent client for ever"
  FIND [[        if (left <= 0) {]] REPLACE [[        if (0) {]])
lesson(child-nonblocking-send STEP 18-process-hand-off
  TEST step18_closes_a_client_that_reads_nothing_after_the_idle_timeout
  LESSON "The child makes its socket non-blocking, so that a client that reads nothing is closed after the idle timeout."
  WHAT "keep the child's socket blocking: a send() to a client that reads nothing waits for ever"
  FIND [[    if (net_set_nonblocking(ClientSocket) == SOCKET_ERROR) {
        report_client_error(NET_NONBLOCKING_CALL " on", peer);
    } else if (serve_client(]]
  REPLACE [[    if (serve_client(]])

# Step 19: a process per client, counted.
lesson(reap-every-child STEP 19-process-per-client
  TEST step19_serves_100_clients_at_once_and_reaps_every_child
  LESSON "Every ended child is reaped, however many ended at once."
  WHAT "reap one child per wake-up: signals do not queue, and the others stay zombies"
  FIND [[    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {]]
  REPLACE [[    if ((pid = waitpid(-1, &status, WNOHANG)) > 0) {]])
lesson(reap-windows STEP 19-process-per-client PLATFORM windows
  TEST step19_at_the_limit_new_connections_wait_until_a_client_leaves
  LESSON "On Windows, a child's process handle says when it has ended, and the parent then closes it and counts the child out."
  WHAT "never look at the children's process handles: no ended child is counted out, and at the limit nobody more is served"
  FIND [[        if (WaitForSingleObject(c->process, 0) != WAIT_OBJECT_0) {]]
  REPLACE [[        if (1) {]])
lesson(process-limit STEP 19-process-per-client
  TEST step19_at_the_limit_new_connections_wait_until_a_client_leaves
  LESSON "At --max-clients, new connections wait until a child ends."
  WHAT "start a process for every connection, however many"
  FIND [[        int accepting = live_children < opts.max_clients;]]
  REPLACE [[        int accepting = 1;]])
lesson(tell-children-to-stop STEP 19-process-per-client
  TEST step19_ctrl_c_stops_the_server_and_its_children
  LESSON "Ctrl-C stops the server and its children: it asks each with SIGTERM."
  WHAT "stop the server alone on Ctrl-C: its children go on serving until they are killed"
  FIND [[                kill(c->pid, SIGTERM);]] REPLACE [[                (void)c;]])
lesson(tell-children-to-stop-windows STEP 19-process-per-client PLATFORM windows
  TEST step19_ctrl_c_stops_the_server_and_its_children
  LESSON "On Windows, the server asks a child to stop by closing its end of the child's pipe."
  WHAT "leave the children's pipes open on Ctrl-C: they go on serving until they are ended"
  FIND [[                CloseHandle(c->to_child); /* its watch_parent() sees its input end */
                c->to_child = NULL;]]
  REPLACE [[                (void)c;]])
lesson(job-ends-children-windows STEP 19-process-per-client PLATFORM windows
  TEST step19_a_server_killed_outright_leaves_no_child_behind
  LESSON "On Windows, each child stays in a job that ends it with the server, even one the server was still starting."
  WHAT "start the children in no job: a server killed while it starts a child leaves that child suspended for ever"
  FIND [[        !UpdateProcThreadAttribute(list, 0, PROC_THREAD_ATTRIBUTE_JOB_LIST, &job, sizeof job, NULL,
                                   NULL))]]
  REPLACE [[        0)]])
lesson(fork-closes-listener-counted STEP 19-process-per-client
  TEST step19_children_do_not_keep_the_port_when_the_server_is_gone
  LESSON "Each child closes the listening socket, so the port closes with the server."
  WHAT "let each child keep the listening socket: the port stays open after the server is gone"
  FIND [[        closesocket(ListenSocket);
        close(child_ended[0]);]]
  REPLACE [[        close(child_ended[0]);]])
lesson(parent-closes-its-copy STEP 19-process-per-client
  TEST step19_a_child_killed_ends_its_client_only
  LESSON "The parent closes its copy of each connection, so a child's end ends the connection."
  WHAT "keep the parent's copy of each connection: a client whose child dies waits for ever"
  FIND [=[        closesocket(ClientSocket);
        ClientSocket = INVALID_SOCKET;
        //! [hand-off]]=]
  REPLACE [=[        ClientSocket = INVALID_SOCKET;
        //! [hand-off]]=])
lesson(handoff-gives-up-counted-windows STEP 19-process-per-client PLATFORM windows
  TEST step19_a_child_whose_connection_never_comes_gives_up
  LESSON "On Windows, a child whose connection does not come gives up after a while."
  WHAT "wait for the connection's description for ever"
  FIND [[            (available == 0 && net_now_ms() >= deadline)) {]] REPLACE [[            0) {]])
lesson(counted-child-idle-timeout STEP 19-process-per-client
  TEST step19_serves_a_client_while_another_is_silent_and_closes_that_one_after_the_idle_timeout
  LESSON "Each child closes its silent client after the idle timeout."
  WHAT "wait for a silent client for ever"
  FIND [[        if (left <= 0) {]] REPLACE [[        if (0) {]])
lesson(counted-child-nonblocking-send STEP 19-process-per-client
  TEST step19_closes_a_client_that_reads_nothing_after_the_idle_timeout
  LESSON "The child makes its socket non-blocking, so that a client that reads nothing is closed after the idle timeout."
  WHAT "keep the child's socket blocking: a send() to a client that reads nothing waits for ever"
  FIND [[    if (net_set_nonblocking(ClientSocket) == SOCKET_ERROR) {
        report_client_error(NET_NONBLOCKING_CALL " on", peer);
    } else if (serve_client(]]
  REPLACE [[    if (serve_client(]])

# Step 20: conditional accept.
lesson(check-the-address STEP 20-conditional-accept
  TEST step20_serves_an_allowed_client_and_turns_away_another
  LESSON "The server checks each caller's address against --allow."
  WHAT "serve every client, whatever --allow says"
  FIND [[        if (!address_allowed((struct sockaddr *)&peer)) {]]
  REPLACE [[        if (0 && !address_allowed((struct sockaddr *)&peer)) {]])
lesson(refuse-with-reset STEP 20-conditional-accept
  TEST step20_a_turned_away_client_sees_a_reset
  LESSON "A turned-away client sees a reset, not an empty answer."
  WHAT "close a turned-away connection in order: the client reads an empty answer, as if served"
  FIND [[    abortive.l_onoff = 1;]] REPLACE [[    abortive.l_onoff = 0;]])
lesson(close-the-refused STEP 20-conditional-accept
  TEST step20_after_200_clients_served_or_refused_no_descriptor_is_left
  LESSON "A refused connection's socket is closed, so no descriptor is left behind."
  WHAT "only shut a refused connection down: the client is turned away, and the server keeps its descriptor"
  FIND [[        report_client_error("setsockopt(SO_LINGER) on", peer); /* it still closes, with FIN */
    closesocket(ClientSocket);]]
  REPLACE [[        report_client_error("setsockopt(SO_LINGER) on", peer); /* it still closes, with FIN */
    shutdown(ClientSocket, SD_BOTH);]])
lesson(prefix-bits STEP 20-conditional-accept
  TEST step20_ipv4_prefixes_match_bit_by_bit
  LESSON "An IPv4 prefix matches bit by bit, also inside a byte."
  WHAT "compare whole bytes only: a prefix that ends inside a byte lets its neighbours in"
  FIND [[    if (bits == 0)
        return true;]] REPLACE [[    if (1)
        return true;]])
lesson(families-apart STEP 20-conditional-accept
  TEST step20_ipv6_prefixes_match_and_families_stay_apart
  LESSON "IPv4 and IPv6 rules never match each other's addresses."
  WHAT "compare the bytes of an IPv6 address with an IPv4 network"
  FIND [[        if (allow_rules[i].family == family &&]] REPLACE [[        if (1 &&]])
