# Each step's lessons, and the test that fails when a lesson is taken out of the step.
# run_mutations.cmake (the lesson-mutation check, run by .ci/run) proves every entry: it
# replaces FIND by REPLACE (and FIND2 by REPLACE2) in a copy of FILE (the step's main.c
# unless given), rebuilds, and expects TEST to fail. LESSON is the lesson in one sentence, for
# a learner: each step page's "Proven by" table shows it beside TEST, and a failing TEST
# prints it. WHAT says what the mutation takes away. PLATFORM windows: the lesson shows on
# Windows only, and is proven by the Windows build, its tests run under Wine.
# lesson_list.cmake reads this file for all three. What a server keeps from step 10 is written
# once, in lessons_kept_from_step_10(), and called for each step that keeps it.
#
#   lesson(<name> STEP <step> TEST <ctest name> LESSON "<...>" WHAT "<...>"
#          FIND [[<text>]] REPLACE [[<text>]] [FIND2 [[<text>]] REPLACE2 [[<text>]]]
#          [PLATFORM windows] [FILE <path>])

# Step 1: start the socket library.
lesson(startup-winsock STEP 01-initialize PLATFORM windows
  TEST step01_reports_the_socket_library_and_exits_0
  LESSON "On Windows, a program starts Winsock with WSAStartup() before its first socket call."
  LESSON_PT "No Windows, o programa inicia o Winsock com WSAStartup() antes da primeira chamada de socket."
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
  LESSON_PT "getaddrinfo() com AF_UNSPEC resolve endereços IPv4 e IPv6 do mesmo jeito, e um só programa atende os dois."
  WHAT "ask getaddrinfo() for IPv4 only, instead of AF_UNSPEC"
  FIND [[hints.ai_family = AF_UNSPEC;]] REPLACE [[hints.ai_family = AF_INET;]])
lesson(resolve-check STEP 02-create-socket
  TEST step02_unknown_host_reports_getaddrinfo_and_exits_1
  LESSON "getaddrinfo() reports its own errors: check its result before using the address list."
  LESSON_PT "getaddrinfo() informa seus próprios erros: verifique o resultado antes de usar a lista de endereços."
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
  LESSON_PT "No POSIX, SO_REUSEADDR deixa um servidor reiniciado associar sua porta enquanto a última conexão espera o fim do TIME_WAIT."
  WHAT "set no SO_REUSEADDR: a restart cannot bind while the last connection waits out TIME_WAIT"
  FIND [[    if (setsockopt(ListenSocket, SOL_SOCKET, SO_REUSEADDR, (const char *)&on, (int)sizeof on) ==
        SOCKET_ERROR) {]] REPLACE [[    if (0) {]])
lesson(v6only STEP 03-bind
  TEST step03_an_ipv6_wildcard_bind_leaves_ipv4_to_others
  LESSON "IPV6_V6ONLY makes a socket on [::] take IPv6 only, the same on every system, leaving IPv4 to others."
  LESSON_PT "IPV6_V6ONLY faz um socket em [::] aceitar só IPv6, igual em todo sistema, deixando o IPv4 para outros."
  WHAT "leave IPV6_V6ONLY at the system's default: on Linux, [::] claims the IPv4 port too"
  FIND [[    if (res->ai_family == AF_INET6 &&]] REPLACE [[    if (0 && res->ai_family == AF_INET6 &&]])
lesson(getsockname STEP 03-bind
  TEST step03_port_zero_prints_the_port_the_system_chose
  LESSON "getsockname() tells which address the socket really got: with port 0, the port the system chose."
  LESSON_PT "getsockname() diz qual endereço o socket recebeu de fato: com a porta 0, a porta que o sistema escolheu."
  WHAT "print the address asked for instead of the one getsockname() reports"
  FIND [[net_format_address((struct sockaddr *)&bound, bound_len, address, sizeof address);]]
  REPLACE [[net_format_address(res->ai_addr, res->ai_addrlen, address, sizeof address);]])

# Step 4: listen.
lesson(listen STEP 04-listen
  TEST step04_backlog_completes_connections_without_accept
  LESSON "listen() makes the socket accept connections: the kernel completes them and queues them in the backlog."
  LESSON_PT "listen() faz o socket aceitar conexões: o kernel as completa e as põe na fila de conexões pendentes (o backlog)."
  WHAT "never call listen(): clients are refused"
  FIND [[    if (listen(ListenSocket, SOMAXCONN) == SOCKET_ERROR) {]] REPLACE [[    if (0) {]])

# Step 5: accept one client, and stop listening.
lesson(close-listener STEP 05-accept
  TEST step05_refuses_a_second_client_while_it_serves_the_first
  LESSON "A server of one client closes its listener once the client is in, so the next client is refused at once."
  LESSON_PT "Um servidor de um só cliente fecha o socket de escuta assim que o cliente entra, e o próximo cliente é recusado na hora."
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
  LESSON_PT "recv() devolver SOCKET_ERROR é uma falha (um reset, por exemplo), não o fim do fluxo."
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
  LESSON_PT "send() com MSG_NOSIGNAL falha com EPIPE quando o cliente já foi embora, em vez de matar o servidor com SIGPIPE."
  WHAT "send without MSG_NOSIGNAL: a client that vanished kills the server with SIGPIPE"
  FIND [[received - sent, MSG_NOSIGNAL)]] REPLACE [[received - sent, 0)]])

# Step 7: end our direction with shutdown(SD_SEND).
lesson(shutdown STEP 07-shutdown
  TEST step07_a_reset_after_the_clients_end_is_reported_by_shutdown
  LESSON "shutdown(SD_SEND) ends our direction in order, and reports a reset that closesocket() would hide."
  LESSON_PT "shutdown(SD_SEND) encerra o nosso sentido em ordem, e informa um reset que closesocket() esconderia."
  WHAT "leave the end of our direction to closesocket(): a reset goes unnoticed"
  FIND [[    if (shutdown(ClientSocket, SD_SEND) == SOCKET_ERROR) {]] REPLACE [[    if (0) {]])

# Step 8: client after client.
lesson(accept-loop STEP 08-accept-loop
  TEST step08_serves_several_clients_in_sequence
  LESSON "A server accepts client after client in a loop."
  LESSON_PT "Um servidor aceita um cliente depois do outro, num laço."
  WHAT "serve one client, then stop"
  FIND [[    while (opts.clients == 0 || accepted < opts.clients) {]]
  REPLACE [[    while (accepted < 1) {]])
lesson(client-failure-ends-client STEP 08-accept-loop
  TEST step08_survives_a_client_that_resets_mid_transfer
  LESSON "A failure that concerns one client ends that client only; the server goes on."
  LESSON_PT "Uma falha que diz respeito a um só cliente encerra só esse cliente; o servidor continua."
  WHAT "let one client's failure end the server"
  FIND [[        if (serve_client(ClientSocket, address, &echoed) == 0)]]
  REPLACE [[        if (serve_client(ClientSocket, address, &echoed) != 0)
            goto cleanup;
        else]])
lesson(accept-back-off STEP 08-accept-loop
  TEST step08_out_of_descriptors_pauses_and_recovers
  LESSON "Out of descriptors, accept() fails again at once: the server pauses before trying again."
  LESSON_PT "Sem descritores livres, accept() falha de novo na hora: o servidor faz uma pausa antes de tentar outra vez."
  WHAT "retry a failed accept() at once, out of descriptors or not"
  FIND [[net_sleep_ms(BACK_OFF_MS);]] REPLACE [[(void)0;]])

# Step 9: stop cleanly.
lesson(stop-handler STEP 09-stop-cleanly
  TEST step09_ctrl_c_stops_it_within_a_second_when_idle
  LESSON "Ctrl-C sets a flag that the server's loops look at, so it stops in order."
  LESSON_PT "Ctrl-C liga uma flag que os laços do servidor consultam, e ele para em ordem."
  WHAT "install no Ctrl-C handler: the process dies, nothing is closed in order"
  FIND [[    if (install_stop_handler() != 0) {]] REPLACE [[    if (0) {]])
lesson(stop-handler-windows STEP 09-stop-cleanly PLATFORM windows
  TEST step09_ctrl_c_stops_it_within_a_second_when_idle
  LESSON "On Windows, a console handler turns Ctrl-C into the stop flag."
  LESSON_PT "No Windows, um handler de console transforma o Ctrl-C na flag de parada."
  WHAT "install no console handler: Ctrl-Break does not stop the server in order"
  FIND [[    if (install_stop_handler() != 0) {]] REPLACE [[    if (0) {]])
lesson(wait-in-slices-windows STEP 09-stop-cleanly PLATFORM windows
  TEST step09_ctrl_c_closes_the_current_client_and_exits
  LESSON "The server waits for data in short slices, so that it sees the stop flag between two."
  LESSON_PT "O servidor espera os dados em fatias curtas, para ver a flag de parada entre uma e outra."
  WHAT "wait for a client's data without a time limit: the console handler cannot end that wait"
  FIND [[        int ready = net_wait_readable(ClientSocket, STOP_CHECK_MS);]]
  REPLACE [[        int ready = net_wait_readable(ClientSocket, -1);]])

# Step 10: the complete server.
lesson(nonblocking-send STEP 10-complete-server
  TEST step10_closes_a_client_that_reads_nothing_after_the_idle_timeout
  LESSON "A non-blocking client socket lets the server give up on a client that reads nothing, after the idle timeout."
  LESSON_PT "Um socket de cliente não bloqueante deixa o servidor desistir, após o tempo limite de inatividade, de um cliente que não lê nada."
  WHAT "keep the client's socket blocking: a send() to a client that reads nothing waits for ever, past --idle-timeout (and often past Ctrl-C)"
  FIND [[        if (net_set_nonblocking(ClientSocket) == SOCKET_ERROR)
            report_client_error(NET_NONBLOCKING_CALL " on", address);
        else if]] REPLACE [[        if]])
lesson(nonblocking-send-windows STEP 10-complete-server PLATFORM windows
  TEST step10_ctrl_c_stops_it_at_once_while_a_client_reads_nothing
  LESSON "On Windows, only a non-blocking socket lets Ctrl-C stop a server whose client reads nothing."
  LESSON_PT "No Windows, só um socket não bloqueante deixa o Ctrl-C parar um servidor cujo cliente não lê nada."
  WHAT "keep the client's socket blocking: Windows' console handler cannot interrupt send()"
  FIND [[        if (net_set_nonblocking(ClientSocket) == SOCKET_ERROR)
            report_client_error(NET_NONBLOCKING_CALL " on", address);
        else if]] REPLACE [[        if]]
  # and the listener's too: Winsock gives an accepted socket its listener's mode
  FIND2 [[    if (net_set_nonblocking(ListenSocket) == SOCKET_ERROR) {]] REPLACE2 [[    if (0) {]])
lesson(idle-timeout STEP 10-complete-server
  TEST step10_closes_a_silent_client_after_the_idle_timeout_and_serves_the_next
  LESSON "The idle timeout closes a silent client, and the next client is served."
  LESSON_PT "O tempo limite de inatividade fecha um cliente em silêncio, e o próximo cliente é atendido."
  WHAT "wait for a silent client for ever"
  FIND [[        if (left <= 0) {]] REPLACE [[        if (0) {]])
lesson(ignore-sigpipe STEP 10-complete-server
  TEST step10_survives_the_reader_of_its_output_going_away
  LESSON "An ignored SIGPIPE keeps the server alive when whoever read its output has gone."
  LESSON_PT "Ignorar SIGPIPE mantém o servidor vivo quando quem lia a saída dele já foi embora."
  WHAT "leave SIGPIPE's default: the server dies when whoever reads its output has gone"
  FIND [[    if (net_ignore_sigpipe() != 0) {]] REPLACE [[    if (0) {]])
lesson(reuse-address-server STEP 10-complete-server
  TEST step10_restarts_at_once_on_the_port_its_last_run_used
  LESSON "The complete server restarts at once on the port its last run used (SO_REUSEADDR on POSIX)."
  LESSON_PT "O servidor completo reinicia na hora na porta que a última execução usou (SO_REUSEADDR no POSIX)."
  WHAT "set no SO_REUSEADDR: a restart fails while the last run's connection waits out TIME_WAIT"
  FIND [[    if (setsockopt(ListenSocket, SOL_SOCKET, SO_REUSEADDR, (const char *)&on, (int)sizeof on) ==
        SOCKET_ERROR) {]] REPLACE [[    if (0) {]])
lesson(v6only-server STEP 10-complete-server
  TEST step10_an_ipv6_wildcard_server_leaves_ipv4_to_others
  LESSON "The complete server on [::] takes IPv6 only, leaving IPv4 to others (IPV6_V6ONLY)."
  LESSON_PT "O servidor completo em [::] aceita só IPv6, deixando o IPv4 para outros (IPV6_V6ONLY)."
  WHAT "leave IPV6_V6ONLY at the system's default: on Linux, a server on [::] takes the IPv4 port too"
  FIND [[    if (res->ai_family == AF_INET6 &&]] REPLACE [[    if (0 && res->ai_family == AF_INET6 &&]])

# What the complete server taught and every server after it keeps, written once: the same
# block in each step, proven on each by the same test (tests/server_basics.c). ARGN names
# which of the three the step keeps.
function(lessons_kept_from_step_10 step)
  string(SUBSTRING ${step} 0 2 n)
  if("ignore-sigpipe" IN_LIST ARGN)
    lesson(ignore-sigpipe-${n} STEP ${step}
      TEST step${n}_survives_the_reader_of_its_output_going_away
      LESSON "An ignored SIGPIPE keeps the server alive when whoever read its output has gone."
      LESSON_PT "Ignorar SIGPIPE mantém o servidor vivo quando quem lia a saída dele já foi embora."
      WHAT "leave SIGPIPE's default: the server dies when whoever reads its output has gone"
      FIND [[    if (net_ignore_sigpipe() != 0) {]] REPLACE [[    if (0) {]])
  endif()
  if("reuse-address" IN_LIST ARGN)
    lesson(reuse-address-${n} STEP ${step}
      TEST step${n}_restarts_at_once_on_the_port_its_last_run_used
      LESSON "The server restarts at once on the port its last run used (SO_REUSEADDR on POSIX)."
      LESSON_PT "O servidor reinicia na hora na porta que a última execução usou (SO_REUSEADDR no POSIX)."
      WHAT "set no SO_REUSEADDR: a restart fails while the last run's connection waits out TIME_WAIT"
      FIND [[    if (setsockopt(ListenSocket, SOL_SOCKET, SO_REUSEADDR, (const char *)&on, (int)sizeof on) ==
        SOCKET_ERROR) {]] REPLACE [[    if (0) {]])
  endif()
  if("v6only" IN_LIST ARGN)
    lesson(v6only-${n} STEP ${step}
      TEST step${n}_an_ipv6_wildcard_server_leaves_ipv4_to_others
      LESSON "The server on [::] takes IPv6 only, leaving IPv4 to others (IPV6_V6ONLY)."
      LESSON_PT "O servidor em [::] aceita só IPv6, deixando o IPv4 para outros (IPV6_V6ONLY)."
      WHAT "leave IPV6_V6ONLY at the system's default: on Linux, a server on [::] takes the IPv4 port too"
      FIND [[    if (res->ai_family == AF_INET6 &&]] REPLACE [[    if (0 && res->ai_family == AF_INET6 &&]])
  endif()
endfunction()

# Step 11: the client.
lesson(client-half-close STEP 11-client
  TEST step11_round_trip_through_the_complete_server
  LESSON "The client shuts down its sending side once all is sent, so the server knows it is done."
  LESSON_PT "O cliente encerra o seu sentido de envio depois de mandar tudo, e o servidor sabe que ele terminou."
  WHAT "never shut down the sending side: the server waits for more, and the client for its answer"
  FIND [[            if (shutdown(ConnectSocket, SD_SEND) == SOCKET_ERROR) {]] REPLACE [[            if (0) {]])
lesson(client-both-directions STEP 11-client
  TEST step11_pipes_16_mib_of_binary_input_back_unchanged
  LESSON "The client sends and receives at the same time, so a large echo never stalls both sides."
  LESSON_PT "O cliente envia e recebe ao mesmo tempo, e um eco grande nunca trava os dois lados."
  WHAT "read no answer until all the input is sent: the echo server stops reading, and both wait"
  FIND [[entry.events = (short)((receiving_done ? 0 : POLLIN) | (pending > 0 ? POLLOUT : 0));]]
  REPLACE [[entry.events = (short)((receiving_done || reading_input || pending > 0 ? 0 : POLLIN) |
                               (pending > 0 ? POLLOUT : 0));]])
lesson(client-next-address STEP 11-client
  TEST step11_tries_the_next_address_when_the_first_is_refused
  LESSON "The client tries each address getaddrinfo() returns until one connects."
  LESSON_PT "O cliente tenta cada endereço que getaddrinfo() devolve, até um conectar."
  WHAT "try only the first address getaddrinfo() returns"
  FIND [[for (ptr = res; ptr != NULL; ptr = ptr->ai_next) {]]
  REPLACE [[for (ptr = res; ptr != NULL; ptr = NULL) {]])

# Step 12: a thread per client.
lesson(client-limit STEP 12-threads
  TEST step12_at_the_limit_new_connections_wait_until_a_client_leaves
  LESSON "At --max-clients, new connections wait in the backlog until a client leaves."
  LESSON_PT "Em --max-clients, as novas conexões esperam no backlog até um cliente sair."
  WHAT "start a thread for every connection, however many"
  FIND [[    if (shared.active >= max) {]] REPLACE [[    if (0) {]])
lesson(thread-idle-timeout STEP 12-threads
  TEST step12_silent_clients_at_the_limit_are_closed_after_the_idle_timeout
  LESSON "A silent client holds its thread only until the idle timeout."
  LESSON_PT "Um cliente em silêncio só segura a sua thread até o tempo limite de inatividade."
  WHAT "let silent clients hold their threads for ever"
  FIND [[        if (left <= 0) {]] REPLACE [[        if (0) {]])

lessons_kept_from_step_10(12-threads ignore-sigpipe reuse-address v6only)

# Step 13: the poll loop.
lesson(loop-nonblocking-clients STEP 13-poll-loop
  TEST step13_an_idle_client_and_one_that_does_not_read_hold_up_nobody
  LESSON "No call but poll() may wait: every client's socket is non-blocking, so a client that reads nothing holds up nobody."
  LESSON_PT "Nenhuma chamada além de poll() pode esperar: o socket de cada cliente é não bloqueante, e um cliente que não lê nada não segura ninguém."
  WHAT "keep the clients' sockets blocking (Linux hands them out so): a send() to a client that reads nothing stops the whole loop"
  FIND [[
        if (net_set_nonblocking(ClientSocket) == SOCKET_ERROR)
            report_client_error(NET_NONBLOCKING_CALL " on", address);
        else if (add_client(]] REPLACE [[
        if (add_client(]])
lesson(loop-nonblocking-windows STEP 13-poll-loop PLATFORM windows
  TEST step13_ctrl_c_stops_it_at_once_while_a_client_reads_nothing
  LESSON "On Windows too, only non-blocking sockets let Ctrl-C stop a loop whose client reads nothing."
  LESSON_PT "No Windows também, só sockets não bloqueantes deixam o Ctrl-C parar um laço cujo cliente não lê nada."
  WHAT "keep the listener and so its clients blocking: a send() to a client that reads nothing waits, and Windows' console handler cannot interrupt it"
  FIND [[
        if (net_set_nonblocking(ClientSocket) == SOCKET_ERROR)
            report_client_error(NET_NONBLOCKING_CALL " on", address);
        else if (add_client(]] REPLACE [[
        if (add_client(]]
  # and the listener's too: Winsock gives an accepted socket its listener's mode
  FIND2 [[    if (net_set_nonblocking(ListenSocket) == SOCKET_ERROR) {]] REPLACE2 [[    if (0) {]])
lesson(loop-keep-the-rest STEP 13-poll-loop
  TEST step13_stops_reading_a_client_that_does_not_read_and_resumes_when_it_does
  LESSON "What send() does not take waits in the client's struct, and goes out when poll() reports room (POLLOUT)."
  LESSON_PT "O que send() não aceita espera no struct do cliente, e sai quando poll() informa espaço (POLLOUT)."
  WHAT "count a partial send as whole: the rest of the echo is lost"
  FIND [[            c->sent += result;]] REPLACE [[            c->sent = c->length;]])
lesson(loop-read-when-echoed STEP 13-poll-loop
  TEST step13_stops_reading_a_client_that_does_not_read_and_resumes_when_it_does
  LESSON "A client is read from only once its last echo has gone out: until then, its buffer holds that echo."
  LESSON_PT "Um cliente só é lido depois que o último eco saiu: até lá, o buffer dele guarda esse eco."
  WHAT "read a client while part of its echo still waits: the new bytes overwrite the old"
  FIND [[    return (short)(c->sent < c->length ? POLLOUT : POLLIN);]]
  REPLACE [[    return (short)(c->sent < c->length ? POLLOUT | POLLIN : POLLIN);]]
  FIND2 [[    if (c->sent == c->length && (revents & (POLLIN | POLLHUP | POLLERR))) {]]
  REPLACE2 [[    if (revents & (POLLIN | POLLHUP | POLLERR)) {]])
lesson(loop-one-client-fails STEP 13-poll-loop
  TEST step13_survives_a_client_that_resets_mid_transfer
  LESSON "A failure that concerns one client closes that client only, and the loop goes on."
  LESSON_PT "Uma falha que diz respeito a um só cliente fecha só esse cliente, e o laço continua."
  WHAT "let one client's failure end the server"
  FIND [[
            if (fds[i].revents != 0 && serve_ready_client(clients[i], fds[i].revents) != 1)
                remove_client(clients, &count, i);]]
  REPLACE [[
            int result = fds[i].revents != 0 ? serve_ready_client(clients[i], fds[i].revents) : 1;
            if (result == -1)
                goto cleanup;
            if (result == 0)
                remove_client(clients, &count, i);]])
lesson(loop-stop-handler STEP 13-poll-loop
  TEST step13_ctrl_c_closes_every_client_and_exits_while_all_are_silent
  LESSON "Ctrl-C sets the stop flag that the loop looks at after each poll(), so the server closes every client and exits 0."
  LESSON_PT "Ctrl-C liga a flag de parada que o laço consulta depois de cada poll(), e o servidor fecha todos os clientes e sai com 0."
  WHAT "install no Ctrl-C handler: the process dies, and no client is closed in order"
  FIND [[    if (install_stop_handler() != 0) {]] REPLACE [[    if (0) {]])
lesson(loop-stop-handler-windows STEP 13-poll-loop PLATFORM windows
  TEST step13_ctrl_c_closes_every_client_and_exits_while_all_are_silent
  LESSON "On Windows, a console handler turns Ctrl-C into the loop's stop flag."
  LESSON_PT "No Windows, um handler de console transforma o Ctrl-C na flag de parada do laço."
  WHAT "install no console handler: Ctrl-Break ends the process, and no client is closed in order"
  FIND [[    if (install_stop_handler() != 0) {]] REPLACE [[    if (0) {]])
lesson(loop-wait-in-slices-windows STEP 13-poll-loop PLATFORM windows
  TEST step13_ctrl_c_closes_every_client_and_exits_while_all_are_silent
  LESSON "The loop's one wait, poll(), lasts at most 200 ms, so that it sees the stop flag: on Windows nothing else ends it."
  LESSON_PT "A única espera do laço, poll(), dura no máximo 200 ms, para ver a flag de parada: no Windows nada mais a interrompe."
  WHAT "wait in poll() without a time limit: the console handler sets the flag, and nothing looks at it"
  FIND [[        int ready = net_poll(fds, count, STOP_CHECK_MS);]]
  REPLACE [[        int ready = net_poll(fds, count, -1);]])
lesson(loop-accept-back-off STEP 13-poll-loop
  TEST step13_out_of_descriptors_pauses_and_recovers
  LESSON "Out of descriptors, accept() fails again at once: the loop pauses before trying again."
  LESSON_PT "Sem descritores livres, accept() falha de novo na hora: o laço faz uma pausa antes de tentar outra vez."
  WHAT "retry a failed accept() at once: the loop spins, reporting failure after failure"
  FIND [[net_sleep_ms(BACK_OFF_MS);]] REPLACE [[(void)0;]])
lessons_kept_from_step_10(13-poll-loop ignore-sigpipe reuse-address v6only)

# Step 14: the event loop, fit to be left running.
lesson(backpressure STEP 14-event-loop
  TEST step14_stops_reading_a_client_that_does_not_read_and_resumes_when_it_does
  LESSON "The event loop stops reading a client whose echo waits, and resumes when the client reads."
  LESSON_PT "O laço de eventos para de ler um cliente cujo eco está esperando, e volta a ler quando o cliente lê."
  WHAT "read a client even while its last echo still waits"
  FIND [[    return (short)(c->sent < c->length ? POLLOUT : POLLIN);]]
  REPLACE [[    return (short)(c->sent < c->length ? POLLOUT | POLLIN : POLLIN);]]
  FIND2 [[    if (c->sent == c->length && (revents & (POLLIN | POLLHUP | POLLERR))) {]]
  REPLACE2 [[    if (revents & (POLLIN | POLLHUP | POLLERR)) {]])
lesson(shared-buffer STEP 14-event-loop
  TEST step14_an_idle_client_costs_a_few_hundred_bytes
  LESSON "An idle client costs a few hundred bytes: the loop reads into one shared buffer."
  LESSON_PT "Um cliente ocioso custa algumas centenas de bytes: o laço lê num único buffer compartilhado."
  WHAT "give every client a 64 KiB buffer of its own, used or not"
  FIND [[struct client *c = calloc(1, sizeof *c);]] REPLACE [[struct client *c = calloc(1, sizeof *c + READ_BUFLEN);]])
lesson(loop-idle-timeout STEP 14-event-loop
  TEST step14_closes_a_silent_client_after_the_idle_timeout
  LESSON "The event loop closes a silent client after the idle timeout."
  LESSON_PT "O laço de eventos fecha um cliente em silêncio depois do tempo limite de inatividade."
  WHAT "never close a silent client"
  FIND [[if (result == 1 && now - c->last_active_ms >= idle_timeout_ms) {]] REPLACE [[if (0) {]])
lesson(loop-client-limit STEP 14-event-loop
  TEST step14_at_the_limit_new_connections_wait_until_a_client_leaves
  LESSON "At --max-clients, the loop stops accepting: new connections wait in the backlog until a client leaves."
  LESSON_PT "Em --max-clients, o laço para de aceitar: as novas conexões esperam no backlog até um cliente sair."
  WHAT "accept every connection, however many"
  FIND [[        int accepting = ListenSocket != INVALID_SOCKET && !said_full;]]
  REPLACE [[        int accepting = ListenSocket != INVALID_SOCKET;]]
  FIND2 [[        for (int i = 0; i < ACCEPT_BATCH && count - 1 < opts.max_clients &&]]
  REPLACE2 [[        for (int i = 0; i < ACCEPT_BATCH &&]])
lesson(listener-pause STEP 14-event-loop
  TEST step14_out_of_descriptors_the_clients_already_in_are_served_without_a_pause
  LESSON "Out of descriptors, the loop leaves the listener out of poll() for a while instead of sleeping: the clients already in are served meanwhile."
  LESSON_PT "Sem descritores livres, o laço tira o socket de escuta do poll() por um tempo em vez de dormir: os clientes já conectados continuam sendo atendidos."
  WHAT "sleep for the pause, as step 13 does: every client waits with it"
  FIND [[                    listener_paused_until = now + BACK_OFF_MS;]]
  REPLACE [[                    net_sleep_ms(BACK_OFF_MS);]])
lesson(listener-pause-no-spin STEP 14-event-loop
  TEST step14_out_of_descriptors_neither_stops_nor_spins
  LESSON "Out of descriptors, the listener stays out of poll() for 250 ms: asked again at once, it would wake the loop at once, for ever."
  LESSON_PT "Sem descritores livres, o socket de escuta fica fora do poll() por 250 ms: consultado de novo na hora, acordaria o laço na hora, para sempre."
  WHAT "poll the listener again at once after EMFILE: the loop spins, reporting failure after failure"
  FIND [[                    listener_paused_until = now + BACK_OFF_MS;]]
  REPLACE [[                    listener_paused_until = now;]])
lesson(close-listener-at-n STEP 14-event-loop
  TEST step14_stops_listening_once_the_last_client_it_will_serve_is_in
  LESSON "With --clients N, the loop closes its listener once the last client it will serve is in."
  LESSON_PT "Com --clients N, o laço fecha o socket de escuta assim que entra o último cliente que ele vai atender."
  WHAT "keep listening once the last client it will serve is in"
  FIND [[if (ListenSocket != INVALID_SOCKET && opts.clients != 0 && accepted >= opts.clients) {]]
  REPLACE [[if (0) {]])
lessons_kept_from_step_10(14-event-loop ignore-sigpipe reuse-address v6only)

# Steps 15 to 17: the completion model. What the three share is written once, for each of
# them: the same blocks, the same tests (completion_ports.c, and many_clients.c from step 16).
foreach(step IN ITEMS 15-completion-loop 16-accept-ahead 17-completion-ports)
  string(SUBSTRING ${step} 0 2 n)
  lesson(completion-backpressure-${n} STEP ${step}
    TEST step${n}_stops_reading_a_client_that_does_not_read_and_resumes_when_it_does
    LESSON "The completion loop receives again only once the echo is sent, so a client that does not read is not read from."
    LESSON_PT "O laço de conclusões só recebe de novo quando o eco foi enviado, e um cliente que não lê não é lido."
    WHAT "receive again as soon as a receive completes, instead of after the echo (here the echo is dropped: a connection has one operation in flight)"
    FIND [[        c->sent = 0;]]
    REPLACE [[        c->sent = 0;
        c->echoed += c->length;
        start_receive(server, c);
        return;]])
  lesson(cancel-in-flight-${n} STEP ${step} FILE steps/${step}/ports_uring.c
    TEST step${n}_ctrl_c_closes_the_connections_and_says_how_many
    LESSON "On Linux, an operation in flight is cancelled before its socket is closed: only then does it complete, and its connection can be freed."
    LESSON_PT "No Linux, uma operação em andamento é cancelada antes de o socket ser fechado: só então ela se conclui, e a conexão pode ser liberada."
    WHAT "close() a socket with a receive in flight, without cancelling it: io_uring keeps the socket open, the receive never completes, and the stop waits for it in vain"
    FIND [[    io_uring_prep_cancel(sqe, operation, 0);]]
    REPLACE [[    io_uring_prep_nop(sqe);]])
  lesson(cancel-in-flight-windows-${n} STEP ${step} PLATFORM windows
    FILE steps/${step}/ports_iocp.c
    TEST step${n}_ctrl_c_ends_a_send_in_flight_to_a_client_that_does_not_read
    LESSON "On Windows, the operations in flight on a socket are cancelled (CancelIoEx) before it is closed: only then does a send to a client that reads nothing complete."
    LESSON_PT "No Windows, as operações em andamento num socket são canceladas (CancelIoEx) antes de ele ser fechado: só então um envio para um cliente que não lê nada se conclui."
    WHAT "rely on closesocket() alone to end a WSASend in flight: under Wine 8 it stays in flight, and the connection can never be freed"
    FIND [[        if (!CancelIoEx((HANDLE)s, NULL) && GetLastError() != ERROR_NOT_FOUND)]]
    REPLACE [[        if (0)]])
  lesson(io-uring-missing-${n} STEP ${step} FILE steps/${step}/ports_uring.c
    TEST step${n}_reports_a_missing_io_uring_and_exits_1
    LESSON "A system without io_uring gets a clear report and exit code 1."
    LESSON_PT "Um sistema sem io_uring recebe uma mensagem clara e o código de saída 1."
    WHAT "go on when io_uring_queue_init_params() fails (ENOSYS on an old kernel, EPERM in a container)"
    FIND [[        report_error_code("io_uring_queue_init_params", -rc);
        free(port);
        return NULL;]]
    REPLACE [[]])
  lessons_kept_from_step_10(${step} ignore-sigpipe reuse-address v6only)
endforeach()

# Step 15: the completion loop.
lesson(acceptex-no-data-15 STEP 15-completion-loop PLATFORM windows
  FILE steps/15-completion-loop/ports_iocp.c
  TEST step15_a_client_that_says_nothing_holds_up_nobody
  LESSON "AcceptEx() completes when a client connects, not when it first sends: a silent client holds up nobody."
  LESSON_PT "AcceptEx() se conclui quando o cliente conecta, não quando ele envia pela primeira vez: um cliente em silêncio não segura ninguém."
  WHAT "ask AcceptEx for the first byte of data too: a client that connects and says nothing holds the only accept, and the next client waits"
  FIND [[slot->AcceptSocket, slot->addresses, 0, ADDRESS_ROOM,]]
  REPLACE [[slot->AcceptSocket, slot->addresses, 1, ADDRESS_ROOM,]])
lesson(accept-pause-15 STEP 15-completion-loop
  TEST step15_out_of_descriptors_neither_stops_nor_spins
  LESSON "Out of descriptors, an accept fails again at once: the loop posts the next one only after a pause."
  LESSON_PT "Sem descritores livres, uma aceitação falha de novo na hora: o laço só posta a próxima depois de uma pausa."
  WHAT "post the next accept at once after EMFILE: it fails at once, again and again"
  FIND [[        server->paused_until_ms = now + BACK_OFF_MS; /* out of descriptors: retrying would spin */]]
  REPLACE [[        server->paused_until_ms = now;]])

# Steps 16 and 17: many clients.
foreach(step IN ITEMS 16-accept-ahead 17-completion-ports)
  string(SUBSTRING ${step} 0 2 n)
  lesson(max-clients-${n} STEP ${step}
    TEST step${n}_at_the_limit_new_connections_wait_until_a_client_leaves
    LESSON "--max-clients counts the accepts posted ahead with the connections open: each accept in flight is a client that may come."
    LESSON_PT "--max-clients conta as aceitações postadas de antemão junto com as conexões abertas: cada aceitação em andamento é um cliente que pode chegar."
    WHAT "count only the connections open: the accepts posted ahead take more clients than the limit"
    FIND [[server->open + server->accepts_posted < server->max_clients &&]]
    REPLACE [[server->open < server->max_clients &&]])
  lesson(back-off-${n} STEP ${step}
    TEST step${n}_out_of_descriptors_neither_stops_nor_spins
    LESSON "Out of descriptors, the completion loop withdraws the accepts posted ahead and pauses, instead of spinning."
    LESSON_PT "Sem descritores livres, o laço de conclusões retira as aceitações postadas de antemão e faz uma pausa, em vez de girar em falso."
    WHAT "post accepts again at once after EMFILE: each fails at once, again and again"
    FIND [[        server->paused_until_ms = now + BACK_OFF_MS;
        server->probing = 1;]]
    REPLACE [[        server->paused_until_ms = now;
        server->probing = 1;]])
  lesson(activity-order-${n} STEP ${step}
    TEST step${n}_closes_a_silent_client_after_the_idle_timeout
    LESSON "Connections are kept in order of activity, so the idle timeout finds every silent one by looking at the oldest."
    LESSON_PT "As conexões ficam em ordem de atividade, e o tempo limite de inatividade acha todas as que estão em silêncio olhando as mais antigas."
    WHAT "note the time of activity but leave the connection where it is in the list: the sweep stops at a busy client and misses the silent one behind it"
    FIND [[    link_remove(&c->node);
    link_append(&server->connections, &c->node);]]
    REPLACE [[    if (c->node.next == &c->node)
        link_append(&server->connections, &c->node);]])
  lesson(loop-idle-timeout-${n} STEP ${step}
    TEST step${n}_silent_clients_at_the_limit_are_closed_after_the_idle_timeout
    LESSON "The completion loop closes a silent client after the idle timeout, so silent clients cannot fill the server for good."
    LESSON_PT "O laço de conclusões fecha um cliente em silêncio depois do tempo limite de inatividade, e clientes em silêncio não lotam o servidor para sempre."
    WHAT "never close a silent client"
    FIND [[        close_idle_connections(&server, now);]]
    REPLACE [[        (void)close_idle_connections;]])
  lesson(acceptex-no-data-${n} STEP ${step} PLATFORM windows
    FILE steps/${step}/ports_iocp.c
    TEST step${n}_closes_a_silent_client_after_the_idle_timeout
    LESSON "AcceptEx() completes when a client connects, not when it first sends."
    LESSON_PT "AcceptEx() se conclui quando o cliente conecta, não quando ele envia pela primeira vez."
    WHAT "ask AcceptEx for the first byte of data too: a client that connects and says nothing is never accepted, and never closed"
    FIND [[slot->AcceptSocket, slot->addresses, 0, ADDRESS_ROOM,]]
    REPLACE [[slot->AcceptSocket, slot->addresses, 1, ADDRESS_ROOM,]])
endforeach()

# Step 17: no buffer per connection.
lesson(no-buffer-while-waiting STEP 17-completion-ports
  TEST step17_idle_clients_hold_no_buffer
  LESSON "A receive waits for data holding no buffer: idle clients leave every buffer to those with data."
  LESSON_PT "Uma recepção espera os dados sem segurar buffer: os clientes ociosos deixam todos os buffers para os que têm dados."
  WHAT "take a buffer when the receive is posted, and hold it while the client is silent"
  FIND [[    struct port_failure failure = port_post_receive(server->port, &c->operation, c->ClientSocket);]]
  REPLACE [[    if (c->buffer == NULL)
        c->buffer = lend_buffer(server); /* held while the receive waits */
    struct port_failure failure = port_post_receive(server->port, &c->operation, c->ClientSocket);]])
lesson(peek-for-the-end STEP 17-completion-ports
  TEST step17_an_idle_client_that_closes_while_every_buffer_is_lent_is_seen_closing_at_once
  LESSON "With every buffer lent, a peek at one byte tells the end of the stream from data: a client that closes is seen closing at once."
  LESSON_PT "Com todos os buffers emprestados, espiar um byte distingue o fim do fluxo de dados: um cliente que fecha é visto fechando na hora."
  WHAT "take whatever is there for data that waits for a buffer: a client that closes is seen only when a buffer comes back"
  FIND [[: recv(c->ClientSocket, &byte, 1, MSG_PEEK | MSG_DONTWAIT);]]
  REPLACE [[: (int)sizeof byte;]])
lesson(serve-waiting STEP 17-completion-ports
  TEST step17_clients_wait_for_a_buffer_when_all_are_lent
  LESSON "A connection that found every buffer lent receives again as soon as one is given back."
  LESSON_PT "Uma conexão que achou todos os buffers emprestados volta a receber assim que um é devolvido."
  WHAT "leave the connections that found every buffer lent waiting for ever"
  FIND [[        start_receive(server, next);]]
  REPLACE [[        (void)next;]])
lesson(trim-buffers STEP 17-completion-ports
  TEST step17_after_a_burst_an_idle_client_costs_a_few_hundred_bytes
  LESSON "When the loop is quiet, the spare buffers' memory goes back to the system: a burst's memory is not kept."
  LESSON_PT "Quando o laço está quieto, a memória dos buffers de sobra volta para o sistema: a memória de um pico não fica retida."
  WHAT "keep the spare buffers after a burst: an idle client then seems to cost kilobytes"
  FIND [[            trim_buffers(&server); /* a quiet turn */]]
  REPLACE [[            (void)0;]])

# Step 18: a process per client, handed over.
lesson(fork-closes-listener STEP 18-process-hand-off
  TEST step18_children_do_not_keep_the_port_when_the_server_is_gone
  LESSON "A forked child closes the listening socket, so the port closes with the server."
  LESSON_PT "Um filho criado com fork() fecha o socket de escuta, e a porta se fecha junto com o servidor."
  WHAT "let each child keep the listening socket: the port stays open after the server is gone"
  FIND [[        closesocket(ListenSocket);
        exit(serve_in_child(]]
  REPLACE [[        exit(serve_in_child(]])
lesson(listener-not-inherited-windows STEP 18-process-hand-off PLATFORM windows
  TEST step18_children_do_not_keep_the_port_when_the_server_is_gone
  LESSON "On Windows, a child gets only the handles its list names, and the listener is made not inheritable: the port closes with the server."
  LESSON_PT "No Windows, um filho recebe só os handles que a lista dele nomeia, e o socket de escuta é criado não herdável: a porta se fecha junto com o servidor."
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
  LESSON_PT "O pai fecha a sua cópia de cada conexão assim que um filho a tem, e o fim de um filho encerra a conexão."
  WHAT "keep the parent's copy of each connection: a client whose child dies waits for ever"
  FIND [=[        closesocket(ClientSocket);
        ClientSocket = INVALID_SOCKET;
        //! [hand-off]]=]
  REPLACE [=[        ClientSocket = INVALID_SOCKET;
        //! [hand-off]]=])
lesson(handoff-parent-closes-its-copy-windows STEP 18-process-hand-off PLATFORM windows
  TEST step18_a_child_killed_ends_its_client_only
  LESSON "On Windows too, the parent closes its socket once the child holds its own, so a child's end ends the connection."
  LESSON_PT "No Windows também, o pai fecha o seu socket assim que o filho tem o próprio, e o fim de um filho encerra a conexão."
  WHAT "keep the parent's socket for each connection: a client whose child dies waits for ever"
  FIND [=[        closesocket(ClientSocket);
        ClientSocket = INVALID_SOCKET;
        //! [hand-off]]=]
  REPLACE [=[        ClientSocket = INVALID_SOCKET;
        //! [hand-off]]=])
lesson(no-zombies STEP 18-process-hand-off
  TEST step18_leaves_no_zombie_after_200_clients
  LESSON "With SIGCHLD ignored, an ended child leaves no zombie behind for a status nobody reads."
  LESSON_PT "Com SIGCHLD ignorado, um filho que termina não deixa zumbi esperando por um status que ninguém lê."
  WHAT "leave SIGCHLD's default: every ended child stays a zombie"
  FIND [[    action.sa_handler = SIG_IGN;]] REPLACE [[    action.sa_handler = SIG_DFL;]])
lesson(handoff-gives-up-windows STEP 18-process-hand-off PLATFORM windows
  TEST step18_a_child_whose_connection_never_comes_gives_up
  LESSON "On Windows, a child whose connection does not come gives up after a while, so that it cannot outlive its server."
  LESSON_PT "No Windows, um filho cuja conexão não chega desiste depois de um tempo, e não pode sobreviver ao servidor."
  WHAT "wait for the connection's description for ever"
  FIND [[            (available == 0 && net_now_ms() >= deadline)) {]] REPLACE [[            0) {]])
lesson(handoff-job-windows STEP 18-process-hand-off PLATFORM windows
  TEST step18_a_server_killed_outright_leaves_no_process_behind
  LESSON "On Windows, a child is started in a job that ends it if the server dies before the hand-off is done."
  LESSON_PT "No Windows, um filho é iniciado num job que o encerra se o servidor morrer antes de a entrega terminar."
  WHAT "start the child in no job: a server killed while it starts a child leaves that child suspended for ever"
  FIND [[        !UpdateProcThreadAttribute(list, 0, PROC_THREAD_ATTRIBUTE_JOB_LIST, &job, sizeof job, NULL,
                                   NULL))]]
  REPLACE [[        0)]])
lesson(handoff-idle-timeout-windows STEP 18-process-hand-off PLATFORM windows
  TEST step18_serves_a_client_while_another_is_silent_and_closes_that_one_after_the_idle_timeout
  LESSON "On Windows, the child gets the server's --idle-timeout with its connection."
  LESSON_PT "No Windows, o filho recebe o --idle-timeout do servidor junto com a conexão."
  WHAT "hand the child the default idle timeout instead of the server's"
  FIND [[    handoff.idle_timeout_ms = idle_timeout_ms;]]
  REPLACE [[    handoff.idle_timeout_ms = 1000LL * DEFAULT_IDLE_TIMEOUT;]])
lesson(child-idle-timeout STEP 18-process-hand-off
  TEST step18_serves_a_client_while_another_is_silent_and_closes_that_one_after_the_idle_timeout
  LESSON "Each child closes its silent client after the idle timeout, while other processes serve the others."
  LESSON_PT "Cada filho fecha o seu cliente em silêncio depois do tempo limite de inatividade, enquanto outros processos atendem os demais."
  WHAT "wait for a silent client for ever"
  FIND [[        if (left <= 0) {]] REPLACE [[        if (0) {]])
lesson(child-nonblocking-send STEP 18-process-hand-off
  TEST step18_closes_a_client_that_reads_nothing_after_the_idle_timeout
  LESSON "The child makes its socket non-blocking, so that a client that reads nothing is closed after the idle timeout."
  LESSON_PT "O filho torna o seu socket não bloqueante, e um cliente que não lê nada é fechado depois do tempo limite de inatividade."
  WHAT "keep the child's socket blocking: a send() to a client that reads nothing waits for ever"
  FIND [[    if (net_set_nonblocking(ClientSocket) == SOCKET_ERROR) {
        report_client_error(NET_NONBLOCKING_CALL " on", peer);
    } else if (serve_client(]]
  REPLACE [[    if (serve_client(]])
# Step 18's children outlive a Ctrl-C, so its restart is not tested that way.
lessons_kept_from_step_10(18-process-hand-off ignore-sigpipe v6only)

# Step 19: a process per client, counted.
lesson(reap-every-child STEP 19-process-per-client
  TEST step19_reaps_every_child_when_one_sigchld_stands_for_many
  LESSON "Every ended child is reaped, however many ended at once."
  LESSON_PT "Todo filho que termina é recolhido, por mais que tenham terminado de uma vez."
  WHAT "reap one child per wake-up: signals do not queue, and the others stay zombies"
  FIND [[    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {]]
  REPLACE [[    if ((pid = waitpid(-1, &status, WNOHANG)) > 0) {]])
lesson(reap-windows STEP 19-process-per-client PLATFORM windows
  TEST step19_at_the_limit_new_connections_wait_until_a_client_leaves
  LESSON "On Windows, a child's process handle says when it has ended, and the parent then closes it and counts the child out."
  LESSON_PT "No Windows, o handle de processo de um filho diz quando ele terminou, e o pai então o fecha e deixa de contá-lo."
  WHAT "never look at the children's process handles: no ended child is counted out, and at the limit nobody more is served"
  FIND [[        if (WaitForSingleObject(c->process, 0) != WAIT_OBJECT_0) {]]
  REPLACE [[        if (1) {]])
lesson(process-limit STEP 19-process-per-client
  TEST step19_at_the_limit_new_connections_wait_until_a_client_leaves
  LESSON "At --max-clients, new connections wait until a child ends."
  LESSON_PT "Em --max-clients, as novas conexões esperam até um filho terminar."
  WHAT "start a process for every connection, however many"
  FIND [[        int accepting = live_children < opts.max_clients;]]
  REPLACE [[        int accepting = 1;]])
lesson(tell-children-to-stop STEP 19-process-per-client
  TEST step19_ctrl_c_stops_the_server_and_its_children
  LESSON "Ctrl-C stops the server and its children: it asks each with SIGTERM."
  LESSON_PT "Ctrl-C para o servidor e os filhos: ele pede a cada um, com SIGTERM, que pare."
  WHAT "stop the server alone on Ctrl-C: its children go on serving until they are killed"
  FIND [[                kill(c->pid, SIGTERM);]] REPLACE [[                (void)c;]])
lesson(tell-children-to-stop-windows STEP 19-process-per-client PLATFORM windows
  TEST step19_ctrl_c_stops_the_server_and_its_children
  LESSON "On Windows, the server asks a child to stop by closing its end of the child's pipe."
  LESSON_PT "No Windows, o servidor pede a um filho que pare fechando a sua ponta do pipe do filho."
  WHAT "leave the children's pipes open on Ctrl-C: they go on serving until they are ended"
  FIND [[                CloseHandle(c->to_child); /* its watch_parent() sees its input end */
                c->to_child = NULL;]]
  REPLACE [[                (void)c;]])
lesson(job-ends-children-windows STEP 19-process-per-client PLATFORM windows
  TEST step19_a_server_killed_outright_leaves_no_process_behind
  LESSON "On Windows, each child stays in a job that ends it with the server, even one the server was still starting."
  LESSON_PT "No Windows, cada filho fica num job que o encerra junto com o servidor, mesmo um que o servidor ainda estava iniciando."
  WHAT "start the children in no job: a server killed while it starts a child leaves that child suspended for ever"
  FIND [[        !UpdateProcThreadAttribute(list, 0, PROC_THREAD_ATTRIBUTE_JOB_LIST, &job, sizeof job, NULL,
                                   NULL))]]
  REPLACE [[        0)]])
lesson(fork-closes-listener-counted STEP 19-process-per-client
  TEST step19_children_do_not_keep_the_port_when_the_server_is_gone
  LESSON "Each child closes the listening socket, so the port closes with the server."
  LESSON_PT "Cada filho fecha o socket de escuta, e a porta se fecha junto com o servidor."
  WHAT "let each child keep the listening socket: the port stays open after the server is gone"
  FIND [[        closesocket(ListenSocket);
        close(child_ended[0]);]]
  REPLACE [[        close(child_ended[0]);]])
lesson(parent-closes-its-copy STEP 19-process-per-client
  TEST step19_a_child_killed_ends_its_client_only
  LESSON "The parent closes its copy of each connection, so a child's end ends the connection."
  LESSON_PT "O pai fecha a sua cópia de cada conexão, e o fim de um filho encerra a conexão."
  WHAT "keep the parent's copy of each connection: a client whose child dies waits for ever"
  FIND [=[        closesocket(ClientSocket);
        ClientSocket = INVALID_SOCKET;
        //! [hand-off]]=]
  REPLACE [=[        ClientSocket = INVALID_SOCKET;
        //! [hand-off]]=])
lesson(handoff-gives-up-counted-windows STEP 19-process-per-client PLATFORM windows
  TEST step19_a_child_whose_connection_never_comes_gives_up
  LESSON "On Windows, a child whose connection does not come gives up after a while."
  LESSON_PT "No Windows, um filho cuja conexão não chega desiste depois de um tempo."
  WHAT "wait for the connection's description for ever"
  FIND [[            (available == 0 && net_now_ms() >= deadline)) {]] REPLACE [[            0) {]])
lesson(counted-child-idle-timeout STEP 19-process-per-client
  TEST step19_serves_a_client_while_another_is_silent_and_closes_that_one_after_the_idle_timeout
  LESSON "Each child closes its silent client after the idle timeout."
  LESSON_PT "Cada filho fecha o seu cliente em silêncio depois do tempo limite de inatividade."
  WHAT "wait for a silent client for ever"
  FIND [[        if (left <= 0) {]] REPLACE [[        if (0) {]])
lesson(counted-child-nonblocking-send STEP 19-process-per-client
  TEST step19_closes_a_client_that_reads_nothing_after_the_idle_timeout
  LESSON "The child makes its socket non-blocking, so that a client that reads nothing is closed after the idle timeout."
  LESSON_PT "O filho torna o seu socket não bloqueante, e um cliente que não lê nada é fechado depois do tempo limite de inatividade."
  WHAT "keep the child's socket blocking: a send() to a client that reads nothing waits for ever"
  FIND [[    if (net_set_nonblocking(ClientSocket) == SOCKET_ERROR) {
        report_client_error(NET_NONBLOCKING_CALL " on", peer);
    } else if (serve_client(]]
  REPLACE [[    if (serve_client(]])
lessons_kept_from_step_10(19-process-per-client ignore-sigpipe reuse-address v6only)

# Step 20: conditional accept.
lesson(check-the-address STEP 20-conditional-accept
  TEST step20_serves_an_allowed_client_and_turns_away_another
  LESSON "The server checks each caller's address against --allow."
  LESSON_PT "O servidor confere o endereço de cada cliente com a lista de --allow."
  WHAT "serve every client, whatever --allow says"
  FIND [[        if (!address_allowed((struct sockaddr *)&peer)) {]]
  REPLACE [[        if (0 && !address_allowed((struct sockaddr *)&peer)) {]])
lesson(refuse-with-reset STEP 20-conditional-accept
  TEST step20_a_turned_away_client_sees_a_reset
  LESSON "A turned-away client sees a reset, not an empty answer."
  LESSON_PT "Um cliente recusado vê um reset, não uma resposta vazia."
  WHAT "close a turned-away connection in order: the client reads an empty answer, as if served"
  FIND [[    abortive.l_onoff = 1;]] REPLACE [[    abortive.l_onoff = 0;]])
lesson(close-the-refused STEP 20-conditional-accept
  TEST step20_after_200_clients_served_or_refused_no_descriptor_is_left
  LESSON "A refused connection's socket is closed, so no descriptor is left behind."
  LESSON_PT "O socket de uma conexão recusada é fechado, e nenhum descritor fica para trás."
  WHAT "only shut a refused connection down: the client is turned away, and the server keeps its descriptor"
  FIND [[        report_client_error("setsockopt(SO_LINGER) on", peer); /* it still closes, with FIN */
    closesocket(ClientSocket);]]
  REPLACE [[        report_client_error("setsockopt(SO_LINGER) on", peer); /* it still closes, with FIN */
    shutdown(ClientSocket, SD_BOTH);]])
lesson(prefix-bits STEP 20-conditional-accept
  TEST step20_ipv4_prefixes_match_bit_by_bit
  LESSON "An IPv4 prefix matches bit by bit, also inside a byte."
  LESSON_PT "Um prefixo IPv4 é comparado bit a bit, também dentro de um byte."
  WHAT "compare whole bytes only: a prefix that ends inside a byte lets its neighbours in"
  FIND [[    if (bits == 0)
        return true;]] REPLACE [[    if (1)
        return true;]])
lesson(families-apart STEP 20-conditional-accept
  TEST step20_ipv6_prefixes_match_and_families_stay_apart
  LESSON "IPv4 and IPv6 rules never match each other's addresses."
  LESSON_PT "Regras IPv4 e IPv6 nunca casam com endereços da outra família."
  WHAT "compare the bytes of an IPv6 address with an IPv4 network"
  FIND [[        if (allow_rules[i].family == family &&]] REPLACE [[        if (1 &&]])
lesson(mapped-rules STEP 20-conditional-accept
  TEST step20_ipv4_mapped_rules_match_ipv4_callers
  LESSON "An IPv4-mapped --allow rule (::ffff:a.b.c.d/N) means the IPv4 network it maps, as callers are compared."
  LESSON_PT "Uma regra --allow IPv4 mapeada (::ffff:a.b.c.d/N) vale como a rede IPv4 que ela mapeia, do jeito que os clientes são comparados."
  WHAT "keep an IPv4-mapped rule as IPv6: it can never match, since mapped callers are compared as IPv4"
  FIND [[        memmove(rule->network, rule->network + 12, 4);
        rule->family = AF_INET;
        rule->prefix -= 96;]]
  REPLACE [[]])
lessons_kept_from_step_10(20-conditional-accept ignore-sigpipe reuse-address v6only)
