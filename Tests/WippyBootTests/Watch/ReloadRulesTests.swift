import Logging
import Testing
import WippyBoot
import WippyCore

/// What a reload says and does when it cannot simply apply (issue 7, items 4 and 5): every save while a file
/// is broken is refused again, naming the broken file and the saved files that wait; the waiting changes
/// apply with the fix; an entry changed at runtime keeps its runtime version when its file changes, at
/// reload and at boot, with one warning naming the entry.
@Suite struct ReloadRulesTests {
    let helper = ProjectReloaderTests()

    func changed(_ project: TemporaryProject, _ paths: String...) -> [WatchedChange] {
        paths.map { WatchedChange(path: project.root + "/" + $0) }
    }

    static let broken = "local function greet()\n    return \"v2\" +\nend\nreturn { greet = greet }\n"

    @Test func goodSavesWaitForTheBrokenFileAndApplyWithTheFix() throws {
        try helper.withApplication { project, application, reloader, lines in
            try project.write("src/greet.lua", ReloadRulesTests.broken)
            #expect(reloader.reload(changed: changed(project, "src/greet.lua")) != .unchanged)
            #expect(lines.errors.count == 1)

            // An unrelated good save: refused again, naming the broken file and the waiting one.
            try project.write("src/_index.yaml", ProjectReloaderTests.index.replacing("greeting: hello", with: "greeting: hi"))
            guard case .rejected = reloader.reload(changed: changed(project, "src/_index.yaml")) else {
                Issue.record("not rejected: \(lines.all)")
                return
            }
            #expect(lines.errors.count == 2)
            let refusal = lines.errors.last ?? ""
            #expect(refusal.contains("still rejected"))
            #expect(refusal.contains("src/greet.lua:3"))
            #expect(refusal.contains("saved changes wait to be applied with the fix: src/_index.yaml"))
            #expect(application.registry.snapshot.entry(EntryID(parsing: "app:config"))?.string("greeting") == "hello")

            // The fix applies both.
            try project.write("src/greet.lua", ProjectReloaderTests.greet("v3"))
            guard case .applied(let changes) = reloader.reload(changed: changed(project, "src/greet.lua")) else {
                Issue.record("fix not applied: \(lines.all)")
                return
            }
            #expect(Set(changes.map(\.id.description)) == ["app:greet", "app:config"])
            #expect(application.registry.snapshot.entry(EntryID(parsing: "app:config"))?.string("greeting") == "hi")
            #expect(lines.infos.last == "info reloaded src/greet.lua, src/_index.yaml: updated app:config, updated app:greet"
                || lines.infos.last == "info reloaded src/greet.lua, src/_index.yaml: updated app:greet, updated app:config")
        }
    }

    @Test func aRuntimeChangeKeepsWinningWhenItsFileChanges() throws {
        try helper.withApplication { project, application, reloader, lines in
            let id = EntryID(parsing: "app:config")
            var runtime = try #require(application.registry.entry(id))
            runtime.data = .map([("greeting", "from the runtime")])
            let version = try #require(try application.registry.apply([.update(runtime)]))

            try project.write("src/_index.yaml", ProjectReloaderTests.index.replacing("greeting: hello", with: "greeting: edited"))
            #expect(reloader.reload(changed: changed(project, "src/_index.yaml")) == .unchanged)
            #expect(application.registry.entry(id)?.string("greeting") == "from the runtime")
            let warnings = lines.all.filter { $0.hasPrefix("warning ") }
            #expect(warnings.count == 1)
            #expect(warnings.first?.contains("entry app:config changed in src/_index.yaml") == true)
            #expect(warnings.first?.contains("changed at runtime (v\(version))") == true)
            #expect(warnings.first?.contains("wippy registry reset app:config") == true)

            // At the next boot the same rule holds, and is said once.
            let bootLines = LogLines()
            var options = RuntimeOptions()
            options.projectRoot = project.root
            application.shutdown()
            let again = try Application(
                options: options, modules: [], logger: Logger(label: "boot") { _ in LinesHandler(lines: bootLines) })
            defer { again.shutdown() }
            #expect(again.registry.entry(id)?.string("greeting") == "from the runtime")
            let bootWarnings = bootLines.all.filter { $0.hasPrefix("warning ") }
            #expect(bootWarnings.count == 1)
            #expect(bootWarnings.first?.contains("entry app:config was changed at runtime (v\(version))") == true)
            #expect(bootWarnings.first?.contains("src/_index.yaml") == true)
            #expect(bootWarnings.first?.contains("the runtime version wins") == true)
        }
    }
}
