import Testing
import WippyBoot

@Suite struct WatchTableTests {
    func table() -> WatchTable {
        var table = WatchTable()
        table.insert(1, path: "/p/src", recursive: true)
        table.insert(2, path: "/p/src/lib", recursive: true)
        table.insert(3, path: "/p", recursive: false)
        return table
    }

    @Test func fileEventsReportThePath() {
        var table = table()
        for mask: InotifyEvent.Mask in [.closeWrite, .create, .delete, .movedTo, .movedFrom] {
            let actions = table.actions(for: InotifyEvent(descriptor: 2, mask: mask, name: "a.lua"))
            #expect(actions == [.changed(WatchedChange(path: "/p/src/lib/a.lua"))])
        }
    }

    @Test func unknownDescriptorIsIgnored() {
        var table = table()
        #expect(table.actions(for: InotifyEvent(descriptor: 9, mask: .closeWrite, name: "a.lua")).isEmpty)
    }

    @Test func newDirectoryInRecursiveTreeIsWatched() {
        var table = table()
        let created = table.actions(for: InotifyEvent(descriptor: 1, mask: [.create, .isDirectory], name: "new"))
        #expect(created == [.watchTree("/p/src/new")])
        let moved = table.actions(for: InotifyEvent(descriptor: 1, mask: [.movedTo, .isDirectory], name: "moved"))
        #expect(moved == [.watchTree("/p/src/moved")])
    }

    @Test func newDirectoryOutsideRecursiveTreeOrSkippedIsNot() {
        var table = table()
        #expect(table.actions(for: InotifyEvent(descriptor: 3, mask: [.create, .isDirectory], name: "other")).isEmpty)
        #expect(table.actions(for: InotifyEvent(descriptor: 1, mask: [.create, .isDirectory], name: ".git")).isEmpty)
        #expect(table.actions(for: InotifyEvent(descriptor: 1, mask: [.create, .isDirectory], name: "node_modules")).isEmpty)
    }

    @Test func removedOrMovedAwayDirectoryIsUnwatched() {
        var table = table()
        let removed = table.actions(for: InotifyEvent(descriptor: 1, mask: [.delete, .isDirectory], name: "lib"))
        #expect(removed == [.unwatchTree("/p/src/lib"), .changed(WatchedChange(path: "/p/src/lib", isDirectory: true))])
        let moved = table.actions(for: InotifyEvent(descriptor: 1, mask: [.movedFrom, .isDirectory], name: "lib"))
        #expect(moved.first == .unwatchTree("/p/src/lib"))
    }

    @Test func removeTreeDropsTheDirectoryAndEverythingBelow() {
        var table = table()
        table.insert(4, path: "/p/src/lib/deep", recursive: true)
        table.insert(5, path: "/p/src/library", recursive: true)
        #expect(table.removeTree("/p/src/lib") == [2, 4])
        #expect(table.descriptor(for: "/p/src/lib") == nil)
        #expect(table.descriptor(for: "/p/src/library") == 5)
        #expect(table.descriptor(for: "/p/src") == 1)
    }

    @Test func ignoredEventForgetsTheWatch() {
        var table = table()
        #expect(table.actions(for: InotifyEvent(descriptor: 2, mask: .ignored)).isEmpty)
        #expect(table.descriptor(for: "/p/src/lib") == nil)
        #expect(table.watches.count == 2)
    }

    @Test func overflowAsksForRescan() {
        var table = table()
        #expect(table.actions(for: InotifyEvent(descriptor: -1, mask: .queueOverflow)) == [.rescan])
    }

    @Test func sameDescriptorTwiceKeepsTheRecursiveWatch() {
        var table = WatchTable()
        table.insert(1, path: "/p", recursive: true)
        table.insert(1, path: "/p", recursive: false)
        #expect(table.watches[1]?.recursive == true)
    }

    @Test func decodesKernelRecords() {
        var bytes: [UInt8] = []
        func append(_ value: UInt32) { withUnsafeBytes(of: value) { bytes += $0 } }
        // wd 7, IN_CLOSE_WRITE, cookie 0, name "a.lua" padded to 16 bytes.
        append(7); append(0x8); append(0); append(16)
        bytes += Array("a.lua".utf8) + Array(repeating: 0, count: 11)
        // wd 7, IN_DELETE_SELF, no name.
        append(7); append(0x400); append(0); append(0)
        // A truncated record is ignored.
        append(8); append(0x8)
        let events = bytes.withUnsafeBytes { InotifyEvent.decode($0) }
        #expect(events == [
            InotifyEvent(descriptor: 7, mask: .closeWrite, name: "a.lua"),
            InotifyEvent(descriptor: 7, mask: .deleteSelf),
        ])
    }
}
