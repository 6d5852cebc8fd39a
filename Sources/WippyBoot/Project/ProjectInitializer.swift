/// `wippy init`: writes the lock file's directories and, for a project with no definitions yet, a starter app.
public enum ProjectInitializer {
    /// Namespace of the starter app.
    public static let starterNamespace = "app"

    /// Definition file of the starter app: a terminal host, a process host and a `hello` command.
    public static let starterDefinitions = """
        version: "1.0"
        namespace: app

        entries:
          # Runs command processes (`wippy run hello`, `wippy run -x app:hello`) attached to the terminal.
          - name: terminal
            kind: terminal.host
            lifecycle:
              auto_start: true

          # Runs background processes and services.
          - name: processes
            kind: process.host
            lifecycle:
              auto_start: true

          # A process that prints a greeting; `meta.command` makes it `wippy run hello`.
          - name: hello
            kind: process.lua
            meta:
              comment: Prints a greeting
              command:
                name: hello
                short: Print a greeting
            source: file://hello.lua
            method: main
            modules: [io]

        """

    /// Lua source of the starter `hello` process.
    public static let starterSource = """
        local io = require("io")

        local function main()
            io.print("Hello from Wippy!")
            return 0
        end

        return { main = main }

        """

    /// `wippy init`: writes/overwrites the lock's `directories` (`src` default `./src`, `modules` `.wippy`),
    /// preserving modules and options already listed in an existing lock; creates a starter app under the source
    /// directory when that directory has no definition files yet: a `terminal.host`, a `process.host`, and a
    /// `process.lua` hello entry with `meta.command.name: hello` whose Lua prints a greeting with
    /// `require("io").print`. Existing files are never overwritten except the lock.
    ///
    /// - Returns: the files written, relative to the project root when inside it.
    @discardableResult
    public static func initialize(
        projectRoot: String,
        sourceDirectory: String = LockFile.initSourceDirectory,
        modulesDirectory: String = LockFile.defaultModulesDirectory,
        lockFile: String = LockFile.defaultFileName
    ) throws(ProjectError) -> [String] {
        let root = ProjectPath.absolute(projectRoot)
        let lockPath = ProjectPath.join(root, lockFile)
        func display(_ path: String) -> String { ProjectPath.relative(path, to: root) }

        var lock = LockFile()
        if ProjectFileSystem.kind(of: lockPath) == .file {
            lock = try LockFile.read(at: lockPath, displayPath: display(lockPath))
        }
        lock.sourceDirectory = sourceDirectory
        lock.modulesDirectory = modulesDirectory
        try lock.write(to: lockPath)
        var written = [display(lockPath)]

        let source = lock.resolvedSourceDirectory(lockFilePath: lockPath)
        if ProjectFileSystem.kind(of: source) == .file {
            throw ProjectError("source directory \(display(source)) is a file", file: display(lockPath))
        }
        try ProjectFileSystem.createDirectory(source)
        guard try DefinitionScanner.definitionFiles(under: source).isEmpty else { return written }

        let starter = [("_index.yaml", starterDefinitions), ("hello.lua", starterSource)]
        for (name, text) in starter {
            let path = source + "/" + name
            guard ProjectFileSystem.kind(of: path) == .missing else { continue }
            try ProjectFileSystem.write(text, to: path)
            written.append(display(path))
        }
        return written
    }
}
