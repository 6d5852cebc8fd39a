/// One event read from a Linux inotify descriptor: which watch it is for, what happened, and the name of the
/// entry inside the watched directory it concerns (empty for events about the directory itself).
///
/// Decoding is kept apart from the system calls so the watcher's logic can be tested with made-up events.
public struct InotifyEvent: Sendable, Equatable {
    /// The event bits (the Linux ABI values of `<sys/inotify.h>`).
    public struct Mask: OptionSet, Sendable, Hashable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }

        public static let modify = Mask(rawValue: 0x0000_0002)
        public static let attributes = Mask(rawValue: 0x0000_0004)
        public static let closeWrite = Mask(rawValue: 0x0000_0008)
        public static let movedFrom = Mask(rawValue: 0x0000_0040)
        public static let movedTo = Mask(rawValue: 0x0000_0080)
        public static let create = Mask(rawValue: 0x0000_0100)
        public static let delete = Mask(rawValue: 0x0000_0200)
        public static let deleteSelf = Mask(rawValue: 0x0000_0400)
        public static let moveSelf = Mask(rawValue: 0x0000_0800)
        /// The kernel dropped events: its queue was full.
        public static let queueOverflow = Mask(rawValue: 0x0000_4000)
        /// The watch was removed (explicitly, or because its directory is gone).
        public static let ignored = Mask(rawValue: 0x0000_8000)
        // Flags for `inotify_add_watch` only.
        public static let onlyDirectory = Mask(rawValue: 0x0100_0000)
        public static let dontFollow = Mask(rawValue: 0x0200_0000)
        public static let excludeUnlinked = Mask(rawValue: 0x0400_0000)
        /// The entry the event names is a directory.
        public static let isDirectory = Mask(rawValue: 0x4000_0000)

        /// What the watcher asks for on every directory: entries written, created, moved or deleted, and the
        /// directory itself going away.
        public static let watched: Mask = [
            .closeWrite, .movedFrom, .movedTo, .create, .delete, .deleteSelf, .moveSelf,
            .onlyDirectory, .dontFollow, .excludeUnlinked,
        ]
    }

    /// The watch descriptor (-1 for a queue overflow).
    public var descriptor: Int32
    public var mask: Mask
    /// Pairs the `movedFrom` and `movedTo` halves of one rename.
    public var cookie: UInt32
    /// The entry in the watched directory, or empty.
    public var name: String

    public init(descriptor: Int32, mask: Mask, cookie: UInt32 = 0, name: String = "") {
        self.descriptor = descriptor
        self.mask = mask
        self.cookie = cookie
        self.name = name
    }

    /// Size of the fixed part of a `struct inotify_event` (wd, mask, cookie, len).
    static let headerSize = 16

    /// Decodes the events in a buffer filled by `read(2)` on an inotify descriptor: each is a 16-byte header
    /// (`int wd; uint32 mask, cookie, len`, native byte order) followed by `len` bytes of NUL-padded name.
    /// A truncated trailing record is ignored.
    public static func decode(_ bytes: UnsafeRawBufferPointer) -> [InotifyEvent] {
        var events: [InotifyEvent] = []
        var offset = 0
        while offset + headerSize <= bytes.count {
            let descriptor = bytes.loadUnaligned(fromByteOffset: offset, as: Int32.self)
            let mask = bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
            let cookie = bytes.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self)
            let length = Int(bytes.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
            let nameStart = offset + headerSize
            guard nameStart + length <= bytes.count else { break }
            var nameEnd = nameStart
            while nameEnd < nameStart + length && bytes[nameEnd] != 0 { nameEnd += 1 }
            let name = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[nameStart..<nameEnd]), as: UTF8.self)
            events.append(InotifyEvent(descriptor: descriptor, mask: Mask(rawValue: mask), cookie: cookie, name: name))
            offset = nameStart + length
        }
        return events
    }
}
