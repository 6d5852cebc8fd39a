/// A growable stack that hands out its top elements as an exactly sized array by moving them, with no copies and no
/// retain/release traffic.
///
/// The parser pushes the elements of every open container here and pops them into one array when the container
/// closes, so each JSON array or object costs one allocation of the right size instead of repeated growth. Memory is
/// allocated on the first push.
///
/// Noncopyable: it owns its buffer, which `deinit` releases together with any elements left after an error.
struct JSONStack<Element>: ~Copyable {
    private var base: UnsafeMutablePointer<Element>?
    private var capacity = 0
    /// The number of elements on the stack.
    private(set) var count = 0

    init() {}

    deinit {
        guard let base else { return }
        base.deinitialize(count: count)
        base.deallocate()
    }

    /// Pushes `element`.
    @inline(__always)
    mutating func push(_ element: consuming Element) {
        if count == capacity { grow() }
        (base! + count).initialize(to: element)
        count += 1
    }

    /// The element at `index` (counted from the bottom).
    @inline(__always)
    subscript(index: Int) -> Element {
        get { base![index] }
        _modify { yield &base![index] }
    }

    /// Removes the elements from `start` to the top and returns them in order.
    mutating func pop(from start: Int) -> [Element] {
        let moved = count - start
        guard moved > 0, let base else { return [] }
        let source = base + start
        count = start
        return [Element](unsafeUninitializedCapacity: moved) { buffer, initialized in
            buffer.baseAddress!.moveInitialize(from: source, count: moved)
            initialized = moved
        }
    }

    /// Drops the elements from `start` to the top.
    mutating func truncate(to start: Int) {
        guard start < count, let base else { return }
        (base + start).deinitialize(count: count - start)
        count = start
    }

    private mutating func grow() {
        let newCapacity = max(16, capacity * 2)
        let newBase = UnsafeMutablePointer<Element>.allocate(capacity: newCapacity)
        if let base {
            newBase.moveInitialize(from: base, count: count)
            base.deallocate()
        }
        base = newBase
        capacity = newCapacity
    }
}
