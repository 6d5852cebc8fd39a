import Testing
import WippyBoot

/// A root that goes away or comes back calls for a resynchronisation (issue 7, item 4).
@Suite struct WatchTableRootTests {
    func table() -> WatchTable {
        var table = WatchTable()
        table.roots = ["/p/src", "/p/.wippy/vendor/org/mod"]
        table.insert(1, path: "/p/src", recursive: true)
        table.insert(2, path: "/p/src/lib", recursive: true)
        table.insert(3, path: "/p", recursive: false)
        return table
    }

    @Test func aRootAppearingInItsParentIsResynchronised() {
        var table = table()
        #expect(table.actions(for: InotifyEvent(descriptor: 3, mask: [.create, .isDirectory], name: "src")) == [.resync("/p/src")])
        #expect(table.actions(for: InotifyEvent(descriptor: 3, mask: [.movedTo, .isDirectory], name: "src")) == [.resync("/p/src")])
        // a directory on the way to a root
        #expect(table.actions(for: InotifyEvent(descriptor: 3, mask: [.create, .isDirectory], name: ".wippy")) == [.resync("/p/.wippy/vendor/org/mod")])
        // anything else in the parent is an ordinary change, or nothing
        #expect(table.actions(for: InotifyEvent(descriptor: 3, mask: .closeWrite, name: "wippy.lock")) == [.changed(WatchedChange(path: "/p/wippy.lock"))])
        #expect(table.actions(for: InotifyEvent(descriptor: 3, mask: [.create, .isDirectory], name: "other")).isEmpty)
    }

    @Test func aRootGoingAwayIsResynchronised() {
        var table = table()
        let removed = table.actions(for: InotifyEvent(descriptor: 1, mask: .deleteSelf, name: ""))
        #expect(removed == [.changed(WatchedChange(path: "/p/src", isDirectory: true)), .resync("/p/src")])
        #expect(table.actions(for: InotifyEvent(descriptor: 1, mask: .ignored, name: "")) == [.resync("/p/src")])
        #expect(table.descriptor(for: "/p/src") == nil)
        var moved = self.table()
        #expect(moved.actions(for: InotifyEvent(descriptor: 1, mask: .moveSelf, name: "")) == [
            .unwatchTree("/p/src"), .changed(WatchedChange(path: "/p/src", isDirectory: true)), .resync("/p/src"),
        ])
        // a subdirectory going away is no root's business
        #expect(moved.actions(for: InotifyEvent(descriptor: 2, mask: .ignored, name: "")).isEmpty)
    }
}
