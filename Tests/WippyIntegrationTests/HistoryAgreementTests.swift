import Foundation
import Testing

/// Files and recorded runtime history agree or say why not (issue 7, item 5), with the real binary: boot says
/// which version of an entry edited in both places wins, `wippy registry reset` goes back to the files, and
/// a damaged history stops the boot with the file, the problem and the way out.
@Suite struct HistoryAgreementTests {
    static func index(level: Int) -> String {
        """
        version: "1.0"
        namespace: app
        entries:
          - name: terminal
            kind: terminal.host
            lifecycle: {auto_start: true}
          - name: settings
            kind: registry.entry
            level: \(level)
          - name: bump
            kind: process.lua
            modules: [registry]
            source: |
              return { main = function()
                local c = registry.snapshot():changes()
                c:update({id = "app:settings", kind = "registry.entry", data = {level = 99}})
                local v, err = c:apply()
                if not v then error(tostring(err)) end
                return "applied"
              end }
          - name: show
            kind: process.lua
            modules: [registry]
            source: |
              return { main = function() return "level " .. tostring(registry.get("app:settings").data.level) end }
        """
    }

    @Test func bootSaysWhichVersionWinsAndResetGoesBackToTheFile() async throws {
        let project = try TemporaryProject(files: ["src/_index.yaml": HistoryAgreementTests.index(level: 1)])
        #expect(try await WippyBinary.run(["run", "-x", "app:bump"], in: project.root).stdout == "applied\n")
        try project.write("src/_index.yaml", HistoryAgreementTests.index(level: 2))

        let boot = try await WippyBinary.run(["run", "-v", "-x", "app:show"], in: project.root)
        #expect(boot.stdout.split(separator: "\n").contains("level 99"))
        let warnings = (boot.stdout + boot.stderr).split(separator: "\n").filter { $0.contains("WARN") && $0.contains("app:settings") }
        #expect(warnings.count == 1)
        #expect(warnings.first?.contains("entry app:settings was changed at runtime (v1)") == true)
        #expect(warnings.first?.contains("src/_index.yaml") == true)
        #expect(warnings.first?.contains("the runtime version wins") == true)
        #expect(warnings.first?.contains("wippy registry reset app:settings") == true)

        let help = try await WippyBinary.run(["registry", "reset", "--help"], in: project.root)
        #expect(help.status == 0)
        #expect(help.stdout.contains("Discard recorded runtime changes"))
        let reset = try await WippyBinary.run(["registry", "reset", "app:settings"], in: project.root)
        #expect(reset.status == 0, "\(reset.stderr)")
        #expect(reset.stdout == "app:settings: discarded 1 recorded runtime change in 1 version; the next run uses its definition file\n")
        let after = try await WippyBinary.run(["run", "-v", "-x", "app:show"], in: project.root)
        #expect(after.stdout.split(separator: "\n").contains("level 2"))
        #expect(!(after.stdout + after.stderr).contains("WARN"))

        // Everything at once: the history starts over.
        #expect(try await WippyBinary.run(["run", "-x", "app:bump"], in: project.root).status == 0)
        let all = try await WippyBinary.run(["registry", "reset"], in: project.root)
        #expect(all.status == 0)
        #expect(all.stdout.hasPrefix("discarded 1 recorded runtime change in 2 versions"))
        #expect(try await WippyBinary.run(["run", "-x", "app:show"], in: project.root).stdout == "level 2\n")
    }

    @Test func aDamagedHistoryStopsTheBootWithTheWayOut() async throws {
        let project = try TemporaryProject(files: ["src/_index.yaml": HistoryAgreementTests.index(level: 1)])
        try project.write(".wippy/registry.db", "")
        let boot = try await WippyBinary.run(["run", "-x", "app:show"], in: project.root)
        #expect(boot.status == 1)
        #expect(boot.stderr.contains(".wippy/registry.db is damaged: the file is empty (0 bytes)"))
        #expect(boot.stderr.contains("`wippy registry reset`"))
        #expect(boot.stdout.isEmpty)

        let reset = try await WippyBinary.run(["registry", "reset"], in: project.root)
        #expect(reset.status == 0, "\(reset.stderr)")
        #expect(reset.stdout.contains("moved it to "))
        let aside = try FileManager.default.contentsOfDirectory(atPath: project.root + "/.wippy").filter { $0.hasPrefix("registry.db.damaged-") }
        #expect(aside.count == 1)
        #expect(try await WippyBinary.run(["run", "-x", "app:show"], in: project.root).stdout == "level 1\n")
    }
}
