import Foundation
import WippyCore
import WippyHTTP
import WippyResources

extension HTTPConfig {
    /// `tls` of an `http.service` (lua-api-io §1.1): nil for plain HTTP (`mode` empty or absent); manual mode
    /// needs exactly one certificate and key pair, inline PEM, `file://path` or `${env:NAME}` (already
    /// expanded), or the deprecated `cert_env` / `key_env`; `client_auth` / `client_ca` configure mTLS.
    /// `auto` (certificates from an overlay network driver) is refused. The material is loaded here, so a
    /// bad certificate is reported with the entry.
    static func tls(_ tls: ConfigFields, environment: EnvironmentLookup) throws(WippyError) -> HTTPServerTLS? {
        let mode = try tls.string("mode") ?? ""
        let inputs = ["cert", "key", "cert_env", "key_env", "client_auth", "client_ca", "client_ca_env"].filter { tls.has($0) }
        switch mode {
        case "":
            guard inputs.isEmpty else {
                throw WippyError.invalid("'tls.\(inputs[0])' is set but 'tls.mode' is not: use mode: manual for TLS with a certificate")
            }
            return nil
        case "auto":
            throw WippyError.invalid(
                "'tls.mode' auto (certificates from an overlay network driver) is not supported by this runtime: use mode: manual with tls.cert and tls.key")
        case "manual":
            break
        default:
            throw WippyError.invalid("'tls.mode' must be \"\", auto or manual (got \"\(mode)\")")
        }
        func material(_ key: String, _ envKey: String) throws(WippyError) -> String? {
            let inline = try tls.string(key)
            let variable = try tls.string(envKey)
            if inline != nil && variable != nil { throw WippyError.invalid("'tls.\(key)' and 'tls.\(envKey)' cannot both be set") }
            if let variable {
                guard let value = environment.value(variable), !value.isEmpty else {
                    throw WippyError.invalid("'tls.\(envKey)': environment variable \(variable) is not set")
                }
                return value
            }
            guard let inline, !inline.isEmpty else { return nil }
            guard inline.hasPrefix("file://") else { return inline }
            let path = String(inline.dropFirst("file://".count))
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw WippyError.invalid("'tls.\(key)': cannot read \(path)")
            }
            return text
        }
        let cert = try material("cert", "cert_env")
        let key = try material("key", "key_env")
        guard let cert, let key else {
            throw WippyError.invalid("tls.mode manual needs both a certificate and a key ('tls.cert' and 'tls.key'); only \(cert == nil ? "the key" : "the certificate") is set")
        }
        var clientAuth: HTTPServerTLS.ClientAuth?
        if let text = try tls.string("client_auth"), !text.isEmpty {
            guard let value = HTTPServerTLS.ClientAuth(rawValue: text) else {
                throw tls.wrong("client_auth", HTTPServerTLS.ClientAuth.allCases.map(\.rawValue).joined(separator: ", "), .string(text))
            }
            clientAuth = value
        }
        let ca = try material("client_ca", "client_ca_env")
        if ca != nil && clientAuth == nil { throw WippyError.invalid("'tls.client_ca' is set without 'tls.client_auth'") }
        if (clientAuth == .verifyIfGiven || clientAuth == .requireAndVerify) && ca == nil {
            throw WippyError.invalid("'tls.client_auth' \(clientAuth!.rawValue) needs a CA ('tls.client_ca' or 'tls.client_ca_env')")
        }
        let result = HTTPServerTLS(certificatePEM: cert, keyPEM: key, clientAuth: clientAuth, clientCAPEM: ca)
        try result.validate()
        return result
    }
}
