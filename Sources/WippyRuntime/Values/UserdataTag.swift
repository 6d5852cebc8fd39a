public import WippyLua

/// The first four bytes of every userdata the runtime creates, telling its type.
///
/// Reading a tag is cheaper than comparing metatables, and user code cannot forge one (it cannot create or
/// write full userdata).
public struct UserdataTag: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let channel = UserdataTag(rawValue: 0x5743_0001)
    public static let selectCase = UserdataTag(rawValue: 0x5743_0002)
    public static let message = UserdataTag(rawValue: 0x5743_0003)
    public static let payload = UserdataTag(rawValue: 0x5743_0004)
    public static let error = UserdataTag(rawValue: 0x5743_0005)
    /// `process.with_context`/`with_options` Spawner: a retained ``Spawner``.
    public static let spawner = UserdataTag(rawValue: 0x5743_0006)
    /// Tags from 0x5743_0100 upward belong to modules.
    public static func module(_ n: UInt32) -> UserdataTag { UserdataTag(rawValue: 0x5743_0100 + n) }
}

/// Size of the header in front of a tagged userdata's payload (keeps the payload 8-byte aligned).
let userdataHeader = 8

extension Lua {
    /// Pushes a userdata tagged `tag` with `size` payload bytes and `userValues` user values; returns the
    /// payload address.
    public func newTaggedUserdata(_ tag: UserdataTag, size: Int = 0, userValues: Int32 = 0) -> UnsafeMutableRawPointer {
        let raw = newUserdata(size: userdataHeader + size, userValues: userValues)
        raw.storeBytes(of: tag.rawValue, as: UInt32.self)
        return raw + userdataHeader
    }

    /// The payload of the userdata at `index` if it carries `tag`.
    @inline(__always)
    public func taggedUserdata(at index: Int32, _ tag: UserdataTag) -> UnsafeMutableRawPointer? {
        guard let raw = taggedBlock(at: index, tag: tag.rawValue) else { return nil }
        return raw + userdataHeader
    }

    /// The tag of the userdata at `index`, if it is one of ours.
    public func userdataTag(at index: Int32) -> UserdataTag? {
        guard type(at: index) == .userdata, rawLength(at: index) >= userdataHeader, let raw = userdata(at: index)
        else { return nil }
        return UserdataTag(rawValue: raw.load(as: UInt32.self))
    }
}
