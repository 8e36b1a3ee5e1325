# The exercises of the learner's workspace (`cmake --workflow --preset learn`): for each step,
# the marked blocks (`//! [name]`) its starter leaves for the learner to write, and what the
# TODO that takes their place says. cmake/workspace.cmake makes the starters from the steps'
# own files, so a change to a step changes its starter; tests/lessons/check_starters.cmake
# proves that every starter builds and fails at least one of its step's tests.
#
#   tutorial_exercise(<step> <block> "<the task: one or two sentences, the calls to use>"
#                     [TODO_PT "<the same task in Brazilian Portuguese, for the Portuguese
#                               site and TUTORIAL_LANGUAGE=pt-BR>"]
#                     [FILE <file in the step's folder, main.c unless given>]
#                     [KEEP "<code left in place so that the starter compiles>"]
#                     [USES <names the missing lines use: marked used, so that the
#                            starter compiles without a warning>...])

tutorial_exercise(01-initialize startup
  "Start the socket library with net_startup() (on Windows it calls WSAStartup(MAKEWORD(2, 2)) and checks the version; on POSIX there is nothing to start). If it fails, it has reported why: return NET_EXIT_FAILURE."
  TODO_PT "Inicie a biblioteca de sockets com net_startup() (no Windows ela chama WSAStartup(MAKEWORD(2, 2)) e confere a versão; no POSIX não há nada a iniciar). Se falhar, ela já informou o motivo: devolva NET_EXIT_FAILURE.")
tutorial_exercise(01-initialize describe
  "Print what was started, on a line of its own: net_library_description()."
  TODO_PT "Imprima o que foi iniciado, numa linha própria: net_library_description().")
tutorial_exercise(01-initialize cleanup
  "Release the library: net_cleanup() (WSACleanup() on Windows), once per successful start."
  TODO_PT "Libere a biblioteca: net_cleanup() (WSACleanup() no Windows), uma vez para cada início bem-sucedido.")

tutorial_exercise(02-create-socket resolve
  "Resolve opts.host and opts.port into res with getaddrinfo(): hints for a TCP socket (SOCK_STREAM, IPPROTO_TCP) of any family (AF_UNSPEC), to bind to (AI_PASSIVE). On failure: report_gai_error(\"getaddrinfo\", rc) and goto cleanup."
  TODO_PT "Resolva opts.host e opts.port em res com getaddrinfo(): hints para um socket TCP (SOCK_STREAM, IPPROTO_TCP) de qualquer família (AF_UNSPEC), para associar com bind (AI_PASSIVE). Se falhar: report_gai_error(\"getaddrinfo\", rc) e goto cleanup."
  KEEP "    if (res == NULL) /* until your lines above fill res */\n        goto cleanup;"
  USES hints rc)
tutorial_exercise(02-create-socket socket
  "Create ListenSocket with socket(), with the family, type and protocol of the first address in res. On failure (INVALID_SOCKET): report_socket_error(\"socket\") and goto cleanup."
  TODO_PT "Crie ListenSocket com socket(), com a família, o tipo e o protocolo do primeiro endereço de res. Se falhar (INVALID_SOCKET): report_socket_error(\"socket\") e goto cleanup.")

tutorial_exercise(03-bind address-reuse
  "On POSIX only (#ifndef _WIN32), set SO_REUSEADDR on ListenSocket with setsockopt(), so that a restart can bind while old connections wait out TIME_WAIT. Windows needs nothing: the page says why."
  TODO_PT "Só no POSIX (#ifndef _WIN32), ligue SO_REUSEADDR em ListenSocket com setsockopt(), para que um reinício consiga associar a porta enquanto conexões antigas esperam o fim do TIME_WAIT. O Windows não precisa de nada: a página diz por quê."
  USES on)
tutorial_exercise(03-bind v6only
  "For an IPv6 address (res->ai_family == AF_INET6), set IPV6_V6ONLY with setsockopt() (level IPPROTO_IPV6), so that the socket takes IPv6 only, the same on every system."
  TODO_PT "Para um endereço IPv6 (res->ai_family == AF_INET6), ligue IPV6_V6ONLY com setsockopt() (nível IPPROTO_IPV6), para que o socket aceite só IPv6, igual em todo sistema.")
tutorial_exercise(03-bind bind
  "Give the socket its address: bind() with res->ai_addr and res->ai_addrlen. On failure: report_socket_error(\"bind\") and goto cleanup."
  TODO_PT "Dê um endereço ao socket: bind() com res->ai_addr e res->ai_addrlen. Se falhar: report_socket_error(\"bind\") e goto cleanup.")
tutorial_exercise(03-bind getsockname
  "Ask which address the socket really got (port 0 lets the system choose): getsockname() into bound, then print `bound to ADDRESS` (net_format_address()) and fflush(stdout)."
  TODO_PT "Pergunte qual endereço o socket recebeu de fato (a porta 0 deixa o sistema escolher): getsockname() em bound, depois imprima `bound to ENDEREÇO` (net_format_address()) e fflush(stdout)."
  USES bound bound_len address)

tutorial_exercise(04-listen listen
  "Make the socket listen: listen(ListenSocket, SOMAXCONN). On failure: report_socket_error(\"listen\") and goto cleanup. Then print `listening on ADDRESS` and fflush(stdout)."
  TODO_PT "Ponha o socket para escutar: listen(ListenSocket, SOMAXCONN). Se falhar: report_socket_error(\"listen\") e goto cleanup. Depois imprima `listening on ENDEREÇO` e fflush(stdout).")

tutorial_exercise(05-accept accept
  "Take the first connection off the queue: accept() into ClientSocket, asking for the client's address (peer, peer_len). On failure: report_socket_error(\"accept\") and goto cleanup. Print `accepted connection from ADDRESS` and fflush(stdout)."
  TODO_PT "Tire a primeira conexão da fila: accept() em ClientSocket, pedindo o endereço do cliente (peer, peer_len). Se falhar: report_socket_error(\"accept\") e goto cleanup. Imprima `accepted connection from ENDEREÇO` e fflush(stdout)."
  USES peer peer_len)
tutorial_exercise(05-accept close-listener
  "This server serves one client: close the listening socket now (closesocket(), then set ListenSocket to INVALID_SOCKET), and print `stopped listening: the next client is refused`."
  TODO_PT "Este servidor atende um só cliente: feche agora o socket de escuta (closesocket(), depois ListenSocket = INVALID_SOCKET) e imprima `stopped listening: the next client is refused`.")

tutorial_exercise(06-send-recv echo-loop
  "Echo until the client is done: recv() into recvbuf; more than 0 bytes: send() them all back (loop: send() may take fewer; pass MSG_NOSIGNAL) and add them to total; 0: the client has finished, leave the loop; SOCKET_ERROR: report_socket_error(\"recv\") and goto cleanup. Then print `received and echoed N bytes; the client has finished sending`."
  TODO_PT "Devolva o eco até o cliente terminar: recv() em recvbuf; mais de 0 bytes: envie todos de volta com send() (em laço: send() pode aceitar menos; passe MSG_NOSIGNAL) e some-os em total; 0: o cliente terminou, saia do laço; SOCKET_ERROR: report_socket_error(\"recv\") e goto cleanup. Depois imprima `received and echoed N bytes; the client has finished sending`."
  USES recvbuf received sent result total)

tutorial_exercise(07-shutdown half-close
  "End our direction: shutdown(ClientSocket, SD_SEND), so that the client reads the whole echo, then the end of the stream. On failure: report_socket_error(\"shutdown\") and goto cleanup."
  TODO_PT "Encerre o nosso sentido: shutdown(ClientSocket, SD_SEND), para que o cliente leia o eco inteiro e depois o fim do fluxo. Se falhar: report_socket_error(\"shutdown\") e goto cleanup.")

tutorial_exercise(08-accept-loop accept-loop
  "Serve client after client until --clients N (opts.clients, 0: no limit): accept() each one (on failure, ask net_classify_accept_error(): skip, pause BACK_OFF_MS, or goto cleanup), serve it with serve_client(), print `served ADDRESS: echoed N bytes`, close it. After the loop, print `shut down after N clients`."
  TODO_PT "Atenda um cliente depois do outro até --clients N (opts.clients, 0: sem limite): accept() em cada um (se falhar, pergunte a net_classify_accept_error(): pular, pausar BACK_OFF_MS ou goto cleanup), atenda-o com serve_client(), imprima `served ENDEREÇO: echoed N bytes` e feche-o. Depois do laço, imprima `shut down after N clients`."
  USES serve_client peer peer_len accepted echoed)

tutorial_exercise(09-stop-cleanly install-handler
  "Make Ctrl-C set stop_requested instead of ending the process: on Windows SetConsoleCtrlHandler(on_console_event, TRUE); on POSIX sigaction() for SIGINT and SIGTERM with on_stop_signal, and no SA_RESTART. Return 0, or -1 if it fails."
  TODO_PT "Faça o Ctrl-C ligar stop_requested em vez de encerrar o processo: no Windows, SetConsoleCtrlHandler(on_console_event, TRUE); no POSIX, sigaction() para SIGINT e SIGTERM com on_stop_signal, e sem SA_RESTART. Devolva 0, ou -1 se falhar."
  KEEP "#ifdef _WIN32\n    (void)on_console_event; /* used by the lines you write */\n#else\n    (void)on_stop_signal; /* used by the lines you write */\n#endif\n    return -1;")
tutorial_exercise(09-stop-cleanly accept-loop
  "As in step 8, but stop when stop_requested is set: before accept(), wait for a connection in slices of STOP_CHECK_MS (net_wait_readable()), looking at the flag between two; an accept() that fails with EINTR (net_would_block()) only means: look at the flag."
  TODO_PT "Como no passo 8, mas pare quando stop_requested estiver ligado: antes de accept(), espere uma conexão em fatias de STOP_CHECK_MS (net_wait_readable()), olhando a flag entre uma e outra; um accept() que falha com EINTR (net_would_block()) quer dizer apenas: olhe a flag."
  USES serve_client peer peer_len accepted echoed)

tutorial_exercise(10-complete-server sigpipe
  "Ignore SIGPIPE (net_ignore_sigpipe()), so that the server's own output going nowhere (`| head -n 1`) cannot end it. If it fails: report_message(\"cannot ignore SIGPIPE\") and return NET_EXIT_FAILURE."
  TODO_PT "Ignore SIGPIPE (net_ignore_sigpipe()), para que a saída do próprio servidor indo para lugar nenhum (`| head -n 1`) não possa encerrá-lo. Se falhar: report_message(\"cannot ignore SIGPIPE\") e devolva NET_EXIT_FAILURE.")
tutorial_exercise(10-complete-server wait-for-room
  "The socket's buffers are full (send() would block): wait until there is room again, with wait_for_client(ClientSocket, 1, peer, idle_timeout_ms); if it gives up, return -1. Then set result to 0: nothing was sent this time round."
  TODO_PT "Os buffers do socket estão cheios (send() bloquearia): espere até haver espaço de novo, com wait_for_client(ClientSocket, 1, peer, idle_timeout_ms); se ele desistir, devolva -1. Depois faça result = 0: nada foi enviado desta vez."
  KEEP "                return -1;")

tutorial_exercise(11-client connect-loop
  "Try the addresses in res, in order, until one connects: socket() and connect() for each; keep the last failure (failed_call, last_error) and close the socket before the next try. If none connects, report_error_code(failed_call, last_error) and goto cleanup. Then report `connected to ADDRESS` (report_message())."
  TODO_PT "Tente os endereços de res, em ordem, até um conectar: socket() e connect() para cada um; guarde a última falha (failed_call, last_error) e feche o socket antes da próxima tentativa. Se nenhum conectar, report_error_code(failed_call, last_error) e goto cleanup. Depois informe `connected to ENDEREÇO` (report_message())."
  USES ptr address failed_call last_error)
tutorial_exercise(11-client half-close
  "Once everything is sent and the input has ended (pending == 0 and !reading_input), and only once: shutdown(ConnectSocket, SD_SEND), then set sending_done. On failure: report_socket_error(\"shutdown\") and goto cleanup."
  TODO_PT "Quando tudo tiver sido enviado e a entrada tiver acabado (pending == 0 e !reading_input), e uma vez só: shutdown(ConnectSocket, SD_SEND), depois ligue sending_done. Se falhar: report_socket_error(\"shutdown\") e goto cleanup.")

tutorial_exercise(12-threads hand-off
  "Hand the client to a thread of its own: a struct client on the heap (malloc) with its socket and address, shared.active counted up under shared.lock, then thread_start(&client->thread, client_thread, client). If that fails, count it down again, close the socket, free the struct, pause BACK_OFF_MS. Count the client in accepted once its thread runs."
  TODO_PT "Entregue o cliente a uma thread própria: um struct client no heap (malloc) com o socket e o endereço, shared.active incrementado sob shared.lock, depois thread_start(&client->thread, client_thread, client). Se falhar, decremente de novo, feche o socket, libere o struct e pause BACK_OFF_MS. Conte o cliente em accepted quando a thread dele estiver rodando."
  USES client client_thread)
tutorial_exercise(12-threads client-limit
  "At the limit (shared.active >= max, under shared.lock): say once `N clients at once: new connections wait until one leaves`, and sleep on shared.changed for up to STOP_CHECK_MS (thread_cond_wait_ms())."
  TODO_PT "No limite (shared.active >= max, sob shared.lock): diga uma vez `N clients at once: new connections wait until one leaves` e durma em shared.changed por até STOP_CHECK_MS (thread_cond_wait_ms())."
  KEEP "    under = 1; /* no limit yet */"
  USES max said_so)

tutorial_exercise(13-poll-loop poll
  "Wait until one of the sockets in fds is ready, for at most STOP_CHECK_MS so that the loop looks at its stop flag: int ready = net_poll(fds, count, STOP_CHECK_MS) (poll() on POSIX, WSAPoll() on Windows). On failure (SOCKET_ERROR): report_socket_error(NET_POLL_CALL) and goto cleanup."
  TODO_PT "Espere até um dos sockets de fds ficar pronto, por no máximo STOP_CHECK_MS, para o laço olhar a flag de parada: int ready = net_poll(fds, count, STOP_CHECK_MS) (poll() no POSIX, WSAPoll() no Windows). Se falhar (SOCKET_ERROR): report_socket_error(NET_POLL_CALL) e goto cleanup.")
tutorial_exercise(13-poll-loop echo
  "Echo what waits (c->sent < c->length): send() from c->recvbuf + c->sent the c->length - c->sent bytes, with MSG_NOSIGNAL, and add what it took to c->sent and c->echoed. \"Would block\" (net_would_block()): leave the rest for a later turn, when poll() says POLLOUT. Another failure: report_client_error(\"send to\", peer) and return -1."
  TODO_PT "Devolva o eco do que espera (c->sent < c->length): send() a partir de c->recvbuf + c->sent dos c->length - c->sent bytes, com MSG_NOSIGNAL, e some o que ele aceitou em c->sent e em c->echoed. \"Bloquearia\" (net_would_block()): deixe o resto para uma volta seguinte, quando poll() disser POLLOUT. Outra falha: report_client_error(\"send to\", peer) e devolva -1."
  USES result)

tutorial_exercise(14-event-loop keep
  "What send() did not take still lies in readbuf, which the next client's recv() overwrites. If some is left and c->pending is NULL, copy the rest ([c->sent, c->length)) into a malloc()'d c->pending and set c->length and c->sent to match (out of memory: report_message(\"out of memory: closing %s\", peer) and return -1). Once all is sent: free(c->pending), set it to NULL."
  TODO_PT "O que send() não aceitou ainda está em readbuf, que o recv() do próximo cliente sobrescreve. Se sobrou algo e c->pending é NULL, copie o resto ([c->sent, c->length)) para um c->pending alocado com malloc() e ajuste c->length e c->sent (sem memória: report_message(\"out of memory: closing %s\", peer) e devolva -1). Quando tudo tiver saído: free(c->pending) e ponha NULL nele.")
tutorial_exercise(14-event-loop idle-timeout
  "Close a client when nothing has moved for idle_timeout_ms (now - c->last_active_ms): report_message(\"closing %s: nothing moved for %lld s\", c->peer, idle_timeout_ms / 1000) and set result to -1, so that the loop closes it. Only a client it keeps (result == 1)."
  TODO_PT "Feche um cliente quando nada se moveu por idle_timeout_ms (now - c->last_active_ms): report_message(\"closing %s: nothing moved for %lld s\", c->peer, idle_timeout_ms / 1000) e ponha -1 em result, para o laço fechá-lo. Só para um cliente que ele mantém (result == 1)."
  USES idle_timeout_ms)
tutorial_exercise(14-event-loop listener-pause
  "Out of descriptors or memory (kind == NET_ACCEPT_BACK_OFF): leave the listener out of poll() for BACK_OFF_MS (listener_paused_until = now + BACK_OFF_MS), and break out of the accepting. A sleep would stop every client; asking again at once would spin."
  TODO_PT "Sem descritores ou sem memória (kind == NET_ACCEPT_BACK_OFF): tire o socket de escuta do poll() por BACK_OFF_MS (listener_paused_until = now + BACK_OFF_MS) e saia do laço de aceitar. Dormir pararia todos os clientes; perguntar de novo na hora giraria em falso.")

tutorial_exercise(15-completion-loop backpressure
  "A send completed: if part of the echo is left (c->sent < c->length), send the rest with continue_echo() and return. Only then post the next receive (start_receive()), so that a client that reads nothing is not read from."
  TODO_PT "Um envio se concluiu: se sobrou parte do eco (c->sent < c->length), envie o resto com continue_echo() e retorne. Só então poste o próximo recebimento (start_receive()), para que um cliente que não lê nada não seja lido.")

tutorial_exercise(16-accept-ahead back-off
  "Out of descriptors or memory, every accept posted would fail at once: pause until now + BACK_OFF_MS (server->paused_until_ms), probe with one accept afterwards (server->probing = 1), and withdraw the accepts in flight (port_cancel_accepts())."
  TODO_PT "Sem descritores ou sem memória, todo accept postado falharia na hora: pause até now + BACK_OFF_MS (server->paused_until_ms), teste depois com um só accept (server->probing = 1) e retire os accepts em andamento (port_cancel_accepts()).")

tutorial_exercise(17-completion-ports backpressure
  "A send completed: if part of the echo is left, send the rest with continue_echo() and return. Once all is sent, give the buffer back (give_back_buffer(), which also lets a connection waiting for one receive), then post the next receive (start_receive())."
  TODO_PT "Um envio se concluiu: se sobrou parte do eco, envie o resto com continue_echo() e retorne. Quando tudo tiver saído, devolva o buffer (give_back_buffer(), que também deixa receber uma conexão que esperava um), depois poste o próximo recebimento (start_receive()).")

tutorial_exercise(18-process-hand-off fork
  "POSIX: fork() a process for this client. In the child (fork() returned 0): close the listening socket, then exit() with what serve_in_child() returns. In the parent: return 0. If fork() fails: report_socket_error(\"fork\") and return -1. Flush stdout and stderr first, or the child writes their unwritten lines a second time."
  TODO_PT "POSIX: fork() de um processo para este cliente. No filho (fork() devolveu 0): feche o socket de escuta, depois exit() com o que serve_in_child() devolver. No pai: devolva 0. Se fork() falhar: report_socket_error(\"fork\") e devolva -1. Esvazie stdout e stderr antes, senão o filho escreve uma segunda vez as linhas que ainda não tinham saído."
  KEEP "    return -1;"
  USES ListenSocket ClientSocket peer idle_timeout_ms serve_in_child)
tutorial_exercise(18-process-hand-off no-zombies
  "POSIX: ignore SIGCHLD with sigaction() (sa_handler SIG_IGN), so that the system discards each ended child's exit status instead of keeping it, as a zombie, for a waitpid() this server never calls. If it fails: report_message(\"cannot ignore SIGCHLD\") and return NET_EXIT_FAILURE."
  TODO_PT "POSIX: ignore SIGCHLD com sigaction() (sa_handler SIG_IGN), para que o sistema descarte o status de saída de cada filho que termina em vez de guardá-lo, como zumbi, para um waitpid() que este servidor nunca chama. Se falhar: report_message(\"cannot ignore SIGCHLD\") e devolva NET_EXIT_FAILURE.")

tutorial_exercise(19-process-per-client waitpid-loop
  "POSIX: collect every child that has ended: waitpid(-1, &status, WNOHANG) until it returns 0 (children still run) or -1 (none left), one SIGCHLD may stand for several. For each pid, find its struct child in the list; if WIFSIGNALED(status), report `the process serving PEER (pid N) was killed by signal S (NAME)` (strsignal()); then forget_child()."
  TODO_PT "POSIX: recolha todo filho que terminou: waitpid(-1, &status, WNOHANG) até devolver 0 (ainda há filhos rodando) ou -1 (não há nenhum); um SIGCHLD pode valer por vários. Para cada pid, ache o seu struct child na lista; se WIFSIGNALED(status), relate `the process serving PEER (pid N) was killed by signal S (NAME)` (strsignal()); depois forget_child()."
  KEEP "    pid = 0;"
  USES status)
tutorial_exercise(19-process-per-client client-limit
  "Accept only while live_children < opts.max_clients: set accepting to that. On reaching the limit, say once (at_limit remembers it) `N clients at once: new connections wait until one leaves`, and fflush(stdout)."
  TODO_PT "Aceite só enquanto live_children < opts.max_clients: ponha isso em accepting. Ao chegar ao limite, diga uma vez (at_limit lembra) `N clients at once: new connections wait until one leaves`, e fflush(stdout)."
  KEEP "        int accepting = 1; /* no limit yet */"
  USES at_limit)

tutorial_exercise(20-conditional-accept check-after-accept
  "POSIX: the connection exists already. If address_allowed() says no, turn it away with refuse_with_reset(), print `refused ADDRESS: not in --allow`, count it in refused and go on with the next client."
  TODO_PT "POSIX: a conexão já existe. Se address_allowed() disser que não, recuse-a com refuse_with_reset(), imprima `refused ENDEREÇO: not in --allow`, conte-a em refused e siga para o próximo cliente."
  USES address_allowed)
tutorial_exercise(20-conditional-accept refuse-with-reset
  "Close the connection with a reset rather than an orderly end: SO_LINGER {1, 0} with setsockopt(), then closesocket()."
  TODO_PT "Feche a conexão com um reset em vez de um encerramento ordenado: SO_LINGER {1, 0} com setsockopt(), depois closesocket().")
