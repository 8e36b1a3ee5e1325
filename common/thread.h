/**
 * @file thread.h
 * @brief Threads, mutexes and condition variables: Win32 threads on Windows, POSIX threads
 *        elsewhere, behind one small set of names.
 *
 * Step 12 serves each client in a thread of its own. Windows and POSIX both have threads,
 * locks and condition variables, with the same meaning and different names:
 *
 * | here                | Windows                          | POSIX                        |
 * |---------------------|----------------------------------|------------------------------|
 * | thread_start()      | `_beginthreadex()`               | `pthread_create()`           |
 * | thread_join()       | `WaitForSingleObject()`          | `pthread_join()`             |
 * | struct thread_mutex | `CRITICAL_SECTION`               | `pthread_mutex_t`            |
 * | struct thread_cond  | `CONDITION_VARIABLE`             | `pthread_cond_t`             |
 * | thread_cond_wait_ms() | `SleepConditionVariableCS()`   | `pthread_cond_timedwait()`   |
 * | thread_cond_broadcast() | `WakeAllConditionVariable()` | `pthread_cond_broadcast()`   |
 *
 * Only what the tutorial needs is here: no detached threads, no thread-local storage.
 */
#ifndef THREAD_H
#define THREAD_H

#ifdef _WIN32
#    ifndef WIN32_LEAN_AND_MEAN
#        define WIN32_LEAN_AND_MEAN
#    endif
#    include <windows.h> /* lean: without the old <winsock.h>, which clashes with <winsock2.h> */
#else
#    include <pthread.h>
#endif

/** A thread started by thread_start(). Its fields belong to this library. */
struct thread {
#ifdef _WIN32
    HANDLE handle; /**< the thread's handle, for WaitForSingleObject() */
#else
    pthread_t handle;     /**< the thread's id, for pthread_join() */
#endif
    void (*function)(void *); /**< what the thread runs */
    void *argument;           /**< and with what */
};

/** A lock that one thread at a time may hold. */
struct thread_mutex {
#ifdef _WIN32
    CRITICAL_SECTION lock; /**< the system's lock */
#else
    pthread_mutex_t lock; /**< the system's lock */
#endif
};

/** A condition variable: threads sleep on it until another thread signals a change. */
struct thread_cond {
#ifdef _WIN32
    CONDITION_VARIABLE cond; /**< the system's condition variable */
#else
    pthread_cond_t cond;  /**< the system's condition variable */
#endif
};

/**
 * @brief Starts a thread that runs `function(argument)`.
 *
 * The thread must be joined with thread_join(), which frees what the system keeps for it;
 * @p thread must stay valid until then. POSIX: the new thread starts with every signal
 * blocked, so that process signals such as Ctrl-C's `SIGINT` are always handled by the
 * threads that existed before (the main thread), and never interrupt a worker's call with
 * `EINTR`. Windows: `_beginthreadex()` rather than `CreateThread()`, so that the C runtime
 * sets up what it keeps per thread.
 *
 * @param thread filled in; pass it to thread_join().
 * @param function what the thread runs; the thread ends when it returns.
 * @param argument passed to @p function.
 * @return 0 on success, or the error code (`errno` value on POSIX, `GetLastError()`'s or
 *         `errno`'s on Windows). Nothing was started on failure.
 */
int thread_start(struct thread *thread, void (*function)(void *), void *argument);

/**
 * @brief Waits for a thread to end and frees what the system kept for it.
 *
 * Each thread started must be joined exactly once; a thread that is never joined leaks
 * its stack and handle until the process exits.
 *
 * @param thread a thread from thread_start().
 * @return 0 on success, or the error code.
 */
int thread_join(struct thread *thread);

/**
 * @brief Initializes a mutex, unlocked.
 *
 * Windows: `InitializeCriticalSection()`, which cannot fail on Vista and later.
 * POSIX: `pthread_mutex_init()` with default attributes.
 *
 * @param mutex the mutex; destroy it with thread_mutex_destroy().
 * @return 0 on success, or the error code.
 */
int thread_mutex_init(struct thread_mutex *mutex);

/**
 * @brief Frees a mutex that no thread holds or waits for.
 * @param mutex the mutex.
 */
void thread_mutex_destroy(struct thread_mutex *mutex);

/**
 * @brief Locks a mutex, waiting while another thread holds it.
 *
 * Neither platform's mutex may be locked twice by the same thread here (a Windows
 * critical section would allow it; a default POSIX mutex would deadlock).
 *
 * @param mutex the mutex.
 */
void thread_mutex_lock(struct thread_mutex *mutex);

/**
 * @brief Unlocks a mutex that the calling thread holds.
 * @param mutex the mutex.
 */
void thread_mutex_unlock(struct thread_mutex *mutex);

/**
 * @brief Initializes a condition variable.
 *
 * Windows: `InitializeConditionVariable()`, which cannot fail. POSIX: `pthread_cond_init()`;
 * where the system allows it (not macOS), its timed waits use the monotonic clock, so that
 * setting the system's date does not lengthen them.
 *
 * @param cond the condition variable; destroy it with thread_cond_destroy().
 * @return 0 on success, or the error code.
 */
int thread_cond_init(struct thread_cond *cond);

/**
 * @brief Frees a condition variable that no thread waits on.
 * @param cond the condition variable (Windows: nothing to free).
 */
void thread_cond_destroy(struct thread_cond *cond);

/**
 * @brief Unlocks @p mutex, sleeps until @p cond is signalled or a timeout passes, then
 *        locks @p mutex again.
 *
 * A wait can also end for no reason at all (a "spurious wakeup", on both platforms): always
 * wait in a loop that checks the condition itself, under the mutex.
 *
 * @param cond the condition variable.
 * @param mutex a mutex the calling thread holds.
 * @param timeout_ms the longest time to sleep, in milliseconds.
 */
void thread_cond_wait_ms(struct thread_cond *cond, struct thread_mutex *mutex, int timeout_ms);

/**
 * @brief Wakes every thread waiting on @p cond.
 *
 * Call it with the mutex held, after changing what the waiters check, so that no waiter can
 * miss the change between its check and its sleep.
 *
 * @param cond the condition variable.
 */
void thread_cond_broadcast(struct thread_cond *cond);

#endif /* THREAD_H */
