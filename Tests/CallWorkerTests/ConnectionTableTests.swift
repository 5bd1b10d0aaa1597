@testable import CallWorker
import Testing

/// The connection cap's decisions.
@Suite struct ConnectionTableTests {
    @Test func atTheCapTheOldestSlowHeadIsEvictedElseTheNewcomerIsRefused() {
        var table = ConnectionTable(capacity: 3)
        #expect(table.open(1) == .admit)
        #expect(table.open(2) == .admit)
        #expect(table.open(3) == .admit)
        table.headComplete(2)
        #expect(table.open(4) == .admitEvicting(evicted: 1))
        #expect(table.open(5) == .admitEvicting(evicted: 3))
        table.headComplete(4)
        table.headComplete(5)
        #expect(table.open(6) == .refuse)
        #expect(table.count == 3)
        table.close(4)
        #expect(table.open(7) == .admit)
        #expect(table.open(8) == .admitEvicting(evicted: 7))
        // A connection that closed while waiting is never "evicted" later.
        table.close(8)
        #expect(table.open(9) == .admit)
        table.headComplete(9)
        #expect(table.open(10) == .refuse)
        #expect(table.awaitingHead.isEmpty && table.busy == [2, 5, 9])
    }

    @Test func aLongFloodStaysBounded() {
        var table = ConnectionTable(capacity: 100)
        table.headComplete(0)
        for id in 1...100_000 {
            let decision = table.open(id)
            if id <= 100 { #expect(decision == .admit) } else { #expect(decision == .admitEvicting(evicted: id - 100)) }
        }
        #expect(table.count == 100)
        #expect(table.awaitingHead == Set(99_901...100_000))
    }
}
