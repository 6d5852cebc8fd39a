internal import Foundation
public import WippyCore
internal import Yams

/// Yams' node type, named apart from `WippyCore.Node` (the cluster node).
typealias YAMLNode = Yams.Node

/// Turns YAML text into ``Payload`` values with yaml.v3 scalar typing, keeping line numbers for errors.
///
/// Parsing uses Yams' node API (`Yams.compose`), so every node carries its position. Scalars are typed by
/// ``YAMLScalarResolver`` (YAML 1.2 core schema as yaml.v3 reads it), not by Yams' YAML 1.1 resolver.
/// Anchors and aliases are expanded, merge keys (`<<: *base`, `<<: [*a, *b]`) are applied with the keys of the
/// mapping itself winning, and maps keep their document order.
public struct YAMLPayloadDecoder {
    /// The file name used in error messages.
    public var file: String
    /// How many more nodes may be produced; guards against alias expansion bombs.
    private var budget: Int

    /// The largest number of values one document may expand to (aliases included).
    public static let maximumNodeCount = 1_000_000

    public init(file: String) {
        self.file = file
        self.budget = Self.maximumNodeCount
    }

    /// Decodes a whole document; an empty document is `nil`.
    public static func decode(_ text: String, file: String) throws(ProjectError) -> Payload? {
        guard let node = try compose(text, file: file) else { return nil }
        var decoder = YAMLPayloadDecoder(file: file)
        return try decoder.decode(node)
    }

    // MARK: - Parsing

    /// Tag given by the resolver to scalars without an explicit tag, so that they stay recognisable after Yams
    /// resolves tags (which it does when hashing mapping keys).
    static let plainTag = Tag.Name(rawValue: "tag:wippy.swift,2025:implicit")
    // The pattern is a constant that compiles, so `try!` cannot fail.
    private static let resolver = try! Resolver.basic.appending(plainTag, "^")

    /// Parses YAML text into a node tree; an empty document is `nil`.
    static func compose(_ text: String, file: String) throws(ProjectError) -> YAMLNode? {
        do {
            return try Yams.compose(yaml: text, resolver)
        } catch let error as YamlError {
            throw Self.projectError(from: error, text: text, file: file)
        } catch {
            throw ProjectError("invalid YAML: \(error)", file: file)
        }
    }

    private static func projectError(from error: YamlError, text: String, file: String) -> ProjectError {
        func located(_ kind: String, _ context: YamlError.Context?, _ problem: String, _ mark: Mark) -> ProjectError {
            var message = "invalid YAML (\(kind)): "
            if let context, !context.text.isEmpty { message += "\(context.text) (line \(context.mark.line)): " }
            return ProjectError(message + problem, file: file, line: mark.line)
        }
        switch error {
        case .scanner(let context, let problem, let mark, _): return located("scanner", context, problem, mark)
        case .parser(let context, let problem, let mark, _): return located("parser", context, problem, mark)
        case .composer(let context, let problem, let mark, _): return located("composer", context, problem, mark)
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.sorted().map { "\"\($0)\"" }.joined(separator: ", ")
            return ProjectError("invalid YAML: duplicate mapping key \(keys)", file: file, line: context.mark.line)
        case .reader(let problem, let offset, _, _):
            let line = offset.map { offset in text.prefix(offset).reduce(1) { $1 == "\n" ? $0 + 1 : $0 } }
            return ProjectError("invalid YAML (reader): \(problem)", file: file, line: line)
        default:
            return ProjectError("invalid YAML: \(error)", file: file)
        }
    }

    // MARK: - Decoding

    /// The line of a node, 1-based.
    static func line(of node: YAMLNode) -> Int? { node.mark?.line }

    /// Decodes any node.
    mutating func decode(_ node: YAMLNode) throws(ProjectError) -> Payload {
        budget -= 1
        guard budget >= 0 else {
            throw ProjectError("document expands to more than \(Self.maximumNodeCount) values (alias bomb?)", file: file, line: Self.line(of: node))
        }
        switch node {
        case .scalar(let scalar):
            return try decodeScalar(scalar)
        case .sequence(let sequence):
            var items: [Payload] = []
            items.reserveCapacity(sequence.count)
            for item in sequence { items.append(try decode(item)) }
            return .table(PayloadTable(array: items))
        case .mapping(let mapping):
            var fields: [PayloadField] = []
            for pair in try pairs(of: mapping) { fields.append(PayloadField(key: pair.key, value: try decode(pair.value))) }
            return .table(PayloadTable(fields: fields, isObject: true))
        case .alias:
            throw ProjectError("invalid YAML: unresolved alias", file: file, line: Self.line(of: node))
        }
    }

    /// The key/value pairs of a mapping in document order, with merge keys applied and keys decoded.
    ///
    /// Keys of the mapping itself win over merged keys; among merged mappings the first one wins.
    mutating func pairs(of mapping: YAMLNode.Mapping) throws(ProjectError) -> [(key: Payload, value: YAMLNode)] {
        var explicit: [(key: Payload, value: YAMLNode)] = []
        var slots: [(key: Payload, value: YAMLNode, merged: Bool)] = []
        for (keyNode, valueNode) in mapping {
            if Self.isMergeKey(keyNode) {
                for pair in try mergedPairs(valueNode) where !slots.contains(where: { $0.merged && $0.key == pair.key }) {
                    slots.append((pair.key, pair.value, true))
                }
                continue
            }
            let key = try decodeKey(keyNode)
            explicit.append((key, valueNode))
            slots.append((key, valueNode, false))
        }
        if explicit.count == slots.count { return explicit }
        return slots.compactMap { slot in
            if slot.merged && explicit.contains(where: { $0.key == slot.key }) { return nil }
            return (slot.key, slot.value)
        }
    }

    private mutating func mergedPairs(_ node: YAMLNode) throws(ProjectError) -> [(key: Payload, value: YAMLNode)] {
        switch node {
        case .mapping(let mapping):
            return try pairs(of: mapping)
        case .sequence(let sequence):
            var result: [(key: Payload, value: YAMLNode)] = []
            for item in sequence {
                guard case .mapping(let mapping) = item else {
                    throw ProjectError("invalid YAML: merge key '<<' list items must be mappings", file: file, line: Self.line(of: item))
                }
                for pair in try pairs(of: mapping) where !result.contains(where: { $0.key == pair.key }) {
                    result.append(pair)
                }
            }
            return result
        default:
            throw ProjectError("invalid YAML: merge key '<<' needs a mapping or a list of mappings", file: file, line: Self.line(of: node))
        }
    }

    private static func isMergeKey(_ node: YAMLNode) -> Bool {
        guard case .scalar(let scalar) = node, scalar.string == "<<", scalar.style == .plain || scalar.style == .any else {
            return false
        }
        let tag = scalar.tag.description
        return tag == Tag.Name.implicit.rawValue || tag == plainTag.rawValue || tag == Tag.Name.merge.rawValue
    }

    private mutating func decodeKey(_ node: YAMLNode) throws(ProjectError) -> Payload {
        guard case .scalar(let scalar) = node else {
            throw ProjectError("invalid YAML: mapping keys must be scalars", file: file, line: Self.line(of: node))
        }
        let key = try decodeScalar(scalar)
        if key.isNull {
            throw ProjectError("invalid YAML: mapping key must not be null", file: file, line: scalar.mark?.line)
        }
        return key
    }

    /// Types a scalar: plain scalars by yaml.v3 rules, quoted and block scalars as strings, explicit tags as asked.
    private func decodeScalar(_ scalar: YAMLNode.Scalar) throws(ProjectError) -> Payload {
        let text = scalar.string
        let tag = scalar.tag.description
        let isPlain = scalar.style == .plain || scalar.style == .any
        switch tag {
        case Tag.Name.implicit.rawValue, Self.plainTag.rawValue:
            return isPlain ? YAMLScalarResolver.resolve(text) : .string(text)
        case Tag.Name.str.rawValue, Tag.Name.nonSpecific.rawValue, Tag.Name.timestamp.rawValue, Tag.Name.merge.rawValue:
            return .string(text)
        case Tag.Name.binary.rawValue:
            let compact = text.filter { !$0.isWhitespace }
            guard let data = Data(base64Encoded: compact) else {
                throw ProjectError("invalid YAML: !!binary value is not valid base64", file: file, line: scalar.mark?.line)
            }
            return .bytes([UInt8](data))
        case Tag.Name.int.rawValue, Tag.Name.float.rawValue, Tag.Name.bool.rawValue, Tag.Name.null.rawValue:
            return try explicitlyTyped(text, tag: tag, line: scalar.mark?.line)
        default:
            // yaml.v3 leaves scalars with unknown (application) tags as strings.
            return .string(text)
        }
    }

    private func explicitlyTyped(_ text: String, tag: String, line: Int?) throws(ProjectError) -> Payload {
        let value = YAMLScalarResolver.resolve(text)
        switch (tag, value) {
        case (Tag.Name.int.rawValue, .int),
            (Tag.Name.float.rawValue, .double),
            (Tag.Name.bool.rawValue, .bool),
            (Tag.Name.null.rawValue, .null):
            return value
        case (Tag.Name.float.rawValue, .int(let integer)):
            return .double(Double(integer))
        default:
            let short = "!!" + ProjectPath.lastComponent(of: tag.replacing(":", with: "/"))
            throw ProjectError("invalid YAML: cannot decode `\(text)` as \(short)", file: file, line: line)
        }
    }
}
