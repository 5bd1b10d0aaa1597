// Shows why ThreadSanitizer reports "Swift access race" inside correct critical sections of
// `Synchronization.Mutex` on Linux: 4 threads increment a counter 200,000 times each, every
// access under the lock, and the total is exact. Built with -sanitize=thread by
// scripts/sanitize.sh, run once with `mutex` (reports races: the contended path locks and
// unlocks in the kernel with a PI futex, which TSan does not see) and once with `pthread`
// (0 reports: TSan intercepts pthread_mutex_lock/unlock).
import Foundation
import Synchronization

final class Counter: @unchecked Sendable { var value = 0 }

let useMutex = CommandLine.arguments.dropFirst().first != "pthread"
let mutex = Mutex(())
let pthreadLock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
pthread_mutex_init(pthreadLock, nil)

func locked<T>(_ body: () -> T) -> T {
    if useMutex { return mutex.withLock { _ in body() } }
    pthread_mutex_lock(pthreadLock)
    defer { pthread_mutex_unlock(pthreadLock) }
    return body()
}

let counter = Counter()
let done = DispatchGroup()
for _ in 0..<4 {
    done.enter()
    Thread {
        for _ in 0..<200_000 { locked { counter.value += 1 } }
        done.leave()
    }.start()
}
done.wait()
print("\(useMutex ? "Synchronization.Mutex" : "pthread_mutex"): total \(locked { counter.value }) of 800000")
