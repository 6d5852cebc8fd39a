public import Hummingbird
public import HummingbirdCore
import HTTPTypes
public import WippyCore
#if canImport(Glibc)
import Glibc
#endif

/// `real_ip` (lua-api-io §1.5): when the peer is a trusted proxy, the client address becomes the first of
/// `True-Client-IP`, `X-Real-IP`, the first `X-Forwarded-For` item that holds a valid IP, as a bare IP (no
/// port). Anything else leaves the peer's address as it is.
public struct HTTPRealIPMiddleware: HTTPMiddleware {
    public static let defaultSubnets = [
        "127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16",
        "::1/128", "fc00::/7", "fe80::/10",
    ]

    let subnets: [Subnet]
    let trustAll: Bool

    public init(subnets: [String] = HTTPRealIPMiddleware.defaultSubnets, trustAll: Bool = false) throws(WippyError) {
        var parsed: [Subnet] = []
        for text in subnets {
            guard let subnet = Subnet(text) else {
                throw WippyError.invalid("option 'real_ip.trusted.subnets': \"\(text)\" is not a CIDR subnet such as 10.0.0.0/8")
            }
            parsed.append(subnet)
        }
        self.subnets = parsed
        self.trustAll = trustAll
    }

    public init(options: HTTPMiddlewareOptions) throws(WippyError) {
        try self.init(
            subnets: options.list("real_ip.trusted.subnets", "trusted_subnets", default: Self.defaultSubnets),
            trustAll: try options.bool("real_ip.trust_all", "real_ip.trust.all", "trust_all", default: false))
    }

    static let sources: [HTTPField.Name] = [HTTPField.Name("True-Client-IP")!, HTTPField.Name("X-Real-IP")!, HTTPField.Name("X-Forwarded-For")!]

    public func handle(_ request: Request, context: HTTPRequestContext, next: HTTPNext) async throws -> Response {
        guard trusts(HTTPRateLimitMiddleware.host(context.remoteAddress)) else { return try await next(request, context) }
        for name in Self.sources {
            guard let value = request.headers[name] else { continue }
            let candidate = (value.split(separator: ",").first.map(String.init) ?? "").trimmingCharacters(in: " ")
            guard IPAddress(candidate) != nil else { continue }
            var context = context
            context.remoteAddress = candidate
            return try await next(request, context)
        }
        return try await next(request, context)
    }

    func trusts(_ peer: String) -> Bool {
        if trustAll { return true }
        guard let address = IPAddress(peer) else { return false }
        return subnets.contains { $0.contains(address) }
    }

    /// An IPv4 (4 bytes) or IPv6 (16 bytes) address.
    struct IPAddress: Equatable {
        let bytes: [UInt8]

        init?(_ text: String) {
            var v4 = in_addr()
            if inet_pton(AF_INET, text, &v4) == 1 {
                bytes = withUnsafeBytes(of: v4) { Array($0) }
                return
            }
            var v6 = in6_addr()
            if inet_pton(AF_INET6, text, &v6) == 1 {
                let raw = withUnsafeBytes(of: v6) { Array($0) }
                // An IPv4-mapped IPv6 address is its IPv4 address.
                if raw[0..<10].allSatisfy({ $0 == 0 }) && raw[10] == 0xFF && raw[11] == 0xFF {
                    bytes = Array(raw[12...])
                } else {
                    bytes = raw
                }
                return
            }
            return nil
        }
    }

    struct Subnet {
        let network: IPAddress
        let bits: Int

        init?(_ text: String) {
            let parts = text.split(separator: "/", maxSplits: 1)
            guard let address = IPAddress(String(parts[0])) else { return nil }
            let total = address.bytes.count * 8
            let bits = parts.count == 2 ? Int(parts[1]) : total
            guard let bits, (0...total).contains(bits) else { return nil }
            network = address
            self.bits = bits
        }

        func contains(_ address: IPAddress) -> Bool {
            guard address.bytes.count == network.bytes.count else { return false }
            var remaining = bits
            for index in network.bytes.indices where remaining > 0 {
                let take = min(8, remaining)
                let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - take))
                if address.bytes[index] & mask != network.bytes[index] & mask { return false }
                remaining -= take
            }
            return true
        }
    }
}
