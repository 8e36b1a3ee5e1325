/**
 * @file thread.c
 * @brief Threads, mutexes and condition variables on Win32 and POSIX: see thread.h.
 */
#include "thread.h"

#include <errno.h>

#ifdef _WIN32
#    include <process.h> /* _beginthreadex */
#else
#    include <signal.h>
#    include <time.h>
#endif

/* The two systems call a thread's function with different signatures; this library's
 * threads all start here and call the function stored in their struct thread. */
#ifdef _WIN32
static unsigned __stdcall thread_main(void *arg)
{
    struct thread *thread = arg;
    thread->function(thread->argument);
    return 0;
}
#else
static void *thread_main(void *arg)
{
    struct thread *thread = arg;
    thread->function(thread->argument);
    return NULL;
}
#endif

int thread_start(struct thread *thread, void (*function)(void *), void *argument)
{
    thread->function = function;
    thread->argument = argument;
#ifdef _WIN32
    uintptr_t handle = _beginthreadex(NULL, 0, thread_main, thread, 0, NULL);
    if (handle == 0)
        return errno != 0 ? errno : (int)GetLastError();
    thread->handle = (HANDLE)handle;
    return 0;
#else
    /* A new thread inherits the signal mask of the thread that creates it: block everything
     * for the moment of creation, then restore the creator's mask. */
    sigset_t all, previous;
    sigfillset(&all);
    int rc = pthread_sigmask(SIG_SETMASK, &all, &previous);
    if (rc != 0)
        return rc;
    rc = pthread_create(&thread->handle, NULL, thread_main, thread);
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    return rc;
#endif
}

int thread_join(struct thread *thread)
{
#ifdef _WIN32
    if (WaitForSingleObject(thread->handle, INFINITE) != WAIT_OBJECT_0)
        return (int)GetLastError();
    CloseHandle(thread->handle);
    return 0;
#else
    return pthread_join(thread->handle, NULL);
#endif
}

int thread_mutex_init(struct thread_mutex *mutex)
{
#ifdef _WIN32
    InitializeCriticalSection(&mutex->lock);
    return 0;
#else
    return pthread_mutex_init(&mutex->lock, NULL);
#endif
}

void thread_mutex_destroy(struct thread_mutex *mutex)
{
#ifdef _WIN32
    DeleteCriticalSection(&mutex->lock);
#else
    pthread_mutex_destroy(&mutex->lock);
#endif
}

void thread_mutex_lock(struct thread_mutex *mutex)
{
#ifdef _WIN32
    EnterCriticalSection(&mutex->lock);
#else
    pthread_mutex_lock(&mutex->lock);
#endif
}

void thread_mutex_unlock(struct thread_mutex *mutex)
{
#ifdef _WIN32
    LeaveCriticalSection(&mutex->lock);
#else
    pthread_mutex_unlock(&mutex->lock);
#endif
}

/* The clock of pthread_cond_timedwait()'s deadlines: monotonic where it can be chosen. */
#if !defined(_WIN32) && !defined(__APPLE__)
#    define COND_CLOCK CLOCK_MONOTONIC
#else
#    define COND_CLOCK CLOCK_REALTIME
#endif

int thread_cond_init(struct thread_cond *cond)
{
#ifdef _WIN32
    InitializeConditionVariable(&cond->cond);
    return 0;
#elif defined(__APPLE__)
    return pthread_cond_init(&cond->cond, NULL); /* macOS has no pthread_condattr_setclock() */
#else
    pthread_condattr_t attributes;
    int rc = pthread_condattr_init(&attributes);
    if (rc != 0)
        return rc;
    rc = pthread_condattr_setclock(&attributes, COND_CLOCK);
    if (rc == 0)
        rc = pthread_cond_init(&cond->cond, &attributes);
    pthread_condattr_destroy(&attributes);
    return rc;
#endif
}

void thread_cond_destroy(struct thread_cond *cond)
{
#ifdef _WIN32
    (void)cond; /* a Windows condition variable holds no resources */
#else
    pthread_cond_destroy(&cond->cond);
#endif
}

void thread_cond_wait_ms(struct thread_cond *cond, struct thread_mutex *mutex, int timeout_ms)
{
#ifdef _WIN32
    /* Returns FALSE with ERROR_TIMEOUT when the time is up: the caller checks its condition
     * either way, so the result says nothing it needs. */
    SleepConditionVariableCS(&cond->cond, &mutex->lock, (DWORD)timeout_ms);
#else
    /* POSIX takes an absolute deadline, not a duration. */
    struct timespec deadline;
    clock_gettime(COND_CLOCK, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&cond->cond, &mutex->lock, &deadline);
#endif
}

void thread_cond_broadcast(struct thread_cond *cond)
{
#ifdef _WIN32
    WakeAllConditionVariable(&cond->cond);
#else
    pthread_cond_broadcast(&cond->cond);
#endif
}
