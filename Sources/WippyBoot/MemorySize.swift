public import WippyCore

/// Byte sizes as `wippy run -m` and `GOMEMLIMIT` write them: plain bytes, or a number with a suffix `K`, `M`,
/// `G` or `T` (powers of 1024), optionally followed by `B` or `iB` (`512M`, `1G`, `2048MiB`, `1GB`).
public enum MemorySize {
    /// The bytes `text` names; nil when it is not a size (negative, fractional, unknown suffix, overflow).
    public static func parse(_ text: String) -> Int64? {
        var rest = Substring(text.trimmingWhitespace())
        guard !rest.isEmpty else { return nil }
        if rest.hasSuffix("iB") { rest = rest.dropLast(2) } else if rest.hasSuffix("B") || rest.hasSuffix("b") { rest = rest.dropLast() }
        var shift: Int64 = 0
        if let last = rest.last, let power = "KMGT".firstIndex(of: Character(last.uppercased())) {
            shift = Int64("KMGT".distance(from: "KMGT".startIndex, to: power) + 1) * 10
            rest = rest.dropLast()
        }
        guard !rest.isEmpty, rest.allSatisfy(\.isASCIIDigit), let number = Int64(rest) else { return nil }
        let (bytes, overflow) = number.multipliedReportingOverflow(by: Int64(1) << shift)
        return overflow ? nil : bytes
    }

    /// The soft memory limit to run with: the `-m` value if given, else `GOMEMLIMIT`, else 1 GiB.
    ///
    /// - Throws: `Invalid` naming the value that is not a size.
    public static func memoryLimit(flag: String?, environment: String?) throws(WippyError) -> Int64 {
        if let flag {
            guard let bytes = parse(flag) else {
                throw WippyError.invalid("--memory-limit must be a size such as 512M, 1G or a number of bytes (got \"\(flag)\")")
            }
            return bytes
        }
        if let environment, !environment.isEmpty {
            guard let bytes = parse(environment) else {
                throw WippyError.invalid("GOMEMLIMIT must be a size such as 512MiB or 1GiB (got \"\(environment)\")")
            }
            return bytes
        }
        return 1 << 30
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> Substring {
        var slice = Substring(self)
        while slice.first?.isWhitespace == true { slice.removeFirst() }
        while slice.last?.isWhitespace == true { slice.removeLast() }
        return slice
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
