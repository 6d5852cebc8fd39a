/// A self-signed certificate for `127.0.0.1` and `localhost` (EC P-256, valid until 2126) and its key, made
/// with `openssl req -x509` for the HTTPS test server; it is its own certificate authority.
public enum TestCertificate {
    public static let certificatePEM = """
        -----BEGIN CERTIFICATE-----
        MIIBnTCCAUOgAwIBAgIUd4nXJTNthg/YtwU1FRYOD/ocyI8wCgYIKoZIzj0EAwIw
        FTETMBEGA1UEAwwKd2lwcHktdGVzdDAgFw0yNjEyMDYxODE0MjFaGA8yMTI2MTEx
        MjE4MTQyMVowFTETMBEGA1UEAwwKd2lwcHktdGVzdDBZMBMGByqGSM49AgEGCCqG
        SM49AwEHA0IABNkl9cHSQFNrL5eh3TOSIuW/95kOCHgD/czj0wQx5fbnxORsAIFo
        Chrip3a/+CBWgCkI0qn3jmIWdjv0HJz13qWjbzBtMB0GA1UdDgQWBBSzNt9XlGfb
        6t54fr/k3XWo9zFPVzAfBgNVHSMEGDAWgBSzNt9XlGfb6t54fr/k3XWo9zFPVzAP
        BgNVHRMBAf8EBTADAQH/MBoGA1UdEQQTMBGHBH8AAAGCCWxvY2FsaG9zdDAKBggq
        hkjOPQQDAgNIADBFAiB7K/yWen5ANR5HE7aF9Vrl3s6Io++PsEK6WvPd6d5B7wIh
        AIRClICjtIUZi2ZU5jpdbUSPrHwsB1F5IBkicHzpPogk
        -----END CERTIFICATE-----
        """

    public static let privateKeyPEM = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg2OWHSWunePjMOfxO
        9+lJn7p0LzsNgoVoIzaN4ll7PBahRANCAATZJfXB0kBTay+Xod0zkiLlv/eZDgh4
        A/3M49MEMeX258TkbACBaAoa4qd2v/ggVoApCNKp945iFnY79Byc9d6l
        -----END PRIVATE KEY-----
        """
}
