public import NIOSSL
public import WippyCore

/// TLS of an `http.service` in manual mode (lua-api-io §1.1): the certificate chain and key (PEM), and
/// optionally client certificates (mTLS).
public struct HTTPServerTLS: Sendable, Equatable {
    public enum ClientAuth: String, Sendable, Equatable, CaseIterable {
        case request, requireAny = "require_any", verifyIfGiven = "verify_if_given", requireAndVerify = "require_and_verify"
    }

    public var certificatePEM: String
    public var keyPEM: String
    public var clientAuth: ClientAuth?
    public var clientCAPEM: String?

    public init(certificatePEM: String, keyPEM: String, clientAuth: ClientAuth? = nil, clientCAPEM: String? = nil) {
        self.certificatePEM = certificatePEM
        self.keyPEM = keyPEM
        self.clientAuth = clientAuth
        self.clientCAPEM = clientCAPEM
    }

    /// The NIOSSL server configuration; the error names the field that does not load.
    public func configuration() throws(WippyError) -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMBytes(Array(certificatePEM.utf8))
        } catch {
            throw WippyError.invalid("'tls.cert' is not a PEM certificate: \(error)")
        }
        guard !chain.isEmpty else { throw WippyError.invalid("'tls.cert' holds no PEM certificate") }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem)
        } catch {
            throw WippyError.invalid("'tls.key' is not a PEM private key: \(error)")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        switch clientAuth {
        case nil:
            break
        case .request?, .verifyIfGiven?:
            // NIOSSL's server either does not ask for a client certificate or requires one.
            throw WippyError.invalid(
                "'tls.client_auth' \(clientAuth!.rawValue) (an optional client certificate) is not supported by this runtime: use require_any or require_and_verify")
        case .requireAny?:
            configuration.certificateVerification = .noHostnameVerification
        case .requireAndVerify?:
            guard let clientCAPEM else { throw WippyError.invalid("'tls.client_auth' require_and_verify needs 'tls.client_ca'") }
            let roots: [NIOSSLCertificate]
            do {
                roots = try NIOSSLCertificate.fromPEMBytes(Array(clientCAPEM.utf8))
            } catch {
                throw WippyError.invalid("'tls.client_ca' is not a PEM certificate: \(error)")
            }
            guard !roots.isEmpty else { throw WippyError.invalid("'tls.client_ca' holds no PEM certificate") }
            configuration.certificateVerification = .noHostnameVerification
            configuration.trustRoots = .certificates(roots)
        }
        return configuration
    }

    /// Loads the material once, for the error naming the field that does not load.
    public func validate() throws(WippyError) { _ = try configuration() }

    /// `require_any` accepts any client certificate (it is required, not verified).
    var acceptsAnyClientCertificate: Bool { clientAuth == .requireAny }
}
