public import WippyCore
import WippyCodecs

/// The supervision state of a running application as `wippy status` shows it: fetched from the control
/// socket, printed as JSON or as a tree of hosts with the services that run on them.
public struct StatusReport: Sendable {
    /// The JSON the running application sent.
    public let json: String
    public let report: Payload

    public init(json: String) throws(WippyError) {
        self.json = json
        report = try JSONCodec.decode(json)
    }

    /// Asks the application running in `projectRoot`.
    ///
    /// - Throws: ``ErrorKind/notFound`` when none is running there.
    public static func fetch(projectRoot: String) throws(WippyError) -> StatusReport {
        let bytes = try ControlClient.request(ControlClient.socketPath(projectRoot: projectRoot))
        guard !bytes.isEmpty else { throw WippyError.invalid("the running wippy sent an empty status") }
        return try StatusReport(json: String(decoding: bytes, as: UTF8.self))
    }

    /// The tree: each host, then (indented) the services that run on it with what they need; services on no
    /// host last.
    ///
    /// ```
    /// app:processes (process.host) running
    ///   app:db (process.service) running pid {app@local|...}
    ///   app:api (process.service) failed retries 2 needs app:db: boom
    /// ```
    public func rendered() -> String {
        let services = StatusReport.inStartOrder(report["services"]?.tableValue?.array ?? [])
        let hosts = services.filter { ($0["kind"]?.stringValue ?? "").hasSuffix(".host") }
        let hostIDs = Set(hosts.compactMap { $0["id"]?.stringValue })
        var lines: [String] = []
        var placed = Set<String>()
        func dependencies(_ service: Payload) -> [String] {
            (service["dependencies"]?.tableValue?.array ?? []).compactMap(\.stringValue)
        }
        for host in hosts {
            let id = host["id"]?.stringValue ?? ""
            lines.append(line(host, needs: []))
            placed.insert(id)
            for service in services where dependencies(service).contains(id) && !hostIDs.contains(service["id"]?.stringValue ?? "") {
                guard let serviceID = service["id"]?.stringValue, placed.insert(serviceID).inserted else { continue }
                lines.append("  " + line(service, needs: dependencies(service).filter { !hostIDs.contains($0) }))
            }
        }
        for service in services where !placed.contains(service["id"]?.stringValue ?? "") {
            lines.append(line(service, needs: dependencies(service)))
        }
        return lines.isEmpty ? "no supervised services" : lines.joined(separator: "\n")
    }

    /// Services in the order they start: each after what it depends on, then by ID.
    static func inStartOrder(_ services: [Payload]) -> [Payload] {
        var dependencies: [String: [String]] = [:]
        for service in services {
            guard let id = service["id"]?.stringValue else { continue }
            dependencies[id] = (service["dependencies"]?.tableValue?.array ?? []).compactMap(\.stringValue)
        }
        var levels: [String: Int] = [:]
        func level(_ id: String, _ visiting: inout Set<String>) -> Int {
            if let known = levels[id] { return known }
            guard visiting.insert(id).inserted else { return 0 }  // a cycle: no order to keep
            let value = (dependencies[id] ?? []).map { level($0, &visiting) + 1 }.max() ?? 0
            visiting.remove(id)
            levels[id] = value
            return value
        }
        func key(_ service: Payload) -> (Int, String) {
            let id = service["id"]?.stringValue ?? ""
            var visiting = Set<String>()
            return (level(id, &visiting), id)
        }
        return services.sorted { key($0) < key($1) }
    }

    private func line(_ service: Payload, needs: [String]) -> String {
        var text = "\(service["id"]?.stringValue ?? "?") (\(service["kind"]?.stringValue ?? "?")) \(service["status"]?.stringValue ?? "?")"
        if let pid = service["pid"]?.stringValue { text += " pid \(pid)" }
        if let retries = service["retry_count"]?.intValue, retries > 0 { text += " retries \(retries)" }
        if !needs.isEmpty { text += " needs " + needs.joined(separator: ", ") }
        if let details = service["details"]?.stringValue, !details.isEmpty { text += ": " + details }
        return text
    }
}
