public import WippyCore

/// The parts of the runtime configuration file (`<project>/.wippy.yaml`, core §9) this runtime reads so
/// far: `prometheus: {enabled, address}`. A missing file means every default; a file that is not YAML, or
/// a section of the wrong shape, is an error naming the file.
public struct RuntimeConfigFile: Sendable, Equatable {
    /// `prometheus.enabled`: metrics are collected (the `metrics` module and middleware work).
    public var prometheusEnabled = false
    /// `prometheus.address` (`host:port`): where `/metrics` is served, when enabled.
    public var prometheusAddress: String?

    public init() {}

    public static func load(projectRoot: String) throws(WippyError) -> RuntimeConfigFile {
        let path = (projectRoot.isEmpty ? "." : projectRoot) + "/.wippy.yaml"
        guard let bytes = ProjectFileSystem.contents(of: path) else { return RuntimeConfigFile() }
        return try parse(String(decoding: bytes, as: UTF8.self), file: ".wippy.yaml")
    }

    static func parse(_ text: String, file: String) throws(WippyError) -> RuntimeConfigFile {
        let payload: Payload?
        do {
            payload = try YAMLPayloadDecoder.decode(text, file: file)
        } catch {
            throw WippyError.invalid(error.description)
        }
        var config = RuntimeConfigFile()
        guard let root = payload, !root.isNull else { return config }
        guard let table = root.tableValue else { throw WippyError.invalid("\(file): the top level must be a mapping") }
        guard let prometheus = table["prometheus"], !prometheus.isNull else { return config }
        guard let section = prometheus.tableValue else { throw WippyError.invalid("\(file): 'prometheus' must be a mapping") }
        if let enabled = section["enabled"], !enabled.isNull {
            guard let flag = enabled.boolValue ?? enabled.stringValue.flatMap({ ["true": true, "false": false][$0] }) else {
                throw WippyError.invalid("\(file): 'prometheus.enabled' must be true or false")
            }
            config.prometheusEnabled = flag
        }
        if let address = section["address"], !address.isNull {
            guard let text = address.stringValue else { throw WippyError.invalid("\(file): 'prometheus.address' must be host:port") }
            config.prometheusAddress = text.isEmpty ? nil : text
        }
        return config
    }
}
