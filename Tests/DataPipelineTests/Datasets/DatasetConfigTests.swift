import Config
import XCTest
@testable import DataPipeline

final class DatasetConfigTests: XCTestCase {
    func parse(_ yaml: String) throws -> DatasetConfig {
        let top = try ConfigSection.parse(yaml: yaml, source: "test.yaml")
        let config = try DatasetConfig(section: top.section("data"))
        try top.finish()
        return config
    }

    func assertConfigError(_ yaml: String, key: String, mentions word: String,
                           file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try parse(yaml), file: file, line: line) { error in
            guard let error = error as? ConfigError else { return XCTFail("\(error)", file: file, line: line) }
            XCTAssertEqual(error.key, key, file: file, line: line)
            XCTAssertTrue(error.message.contains(word), error.message, file: file, line: line)
        }
    }

    func testConfig_rafdb_defaultsAndOverrides() throws {
        let plain = try parse("data:\n  kind: rafdb\n  root: /data/raf\n")
        XCTAssertEqual(plain.kind, .rafdb)
        XCTAssertEqual(plain.root, "/data/raf")
        XCTAssertEqual(plain.onBadImage, .stop)
        XCTAssertTrue(plain.checkFiles)
        XCTAssertEqual(plain.rafdb, DatasetConfig.RAFDBOptions())
        XCTAssertEqual(plain.classNames.count, 7)

        let custom = try parse("""
            data:
              kind: rafdb
              root: raf
              on_bad_image: skip
              check_files: false
              aligned: false
              label_file: labels.txt
            """)
        XCTAssertEqual(custom.onBadImage, .skip)
        XCTAssertFalse(custom.checkFiles)
        XCTAssertFalse(custom.rafdb.aligned)
        XCTAssertEqual(custom.path(custom.rafdb.labelFile), "raf/labels.txt")
    }

    func testConfig_ferplus_fileNames() throws {
        let c = try parse("data: {kind: ferplus, root: /f, fer2013_csv: a.csv, ferplus_csv: /elsewhere/b.csv}")
        XCTAssertEqual(c.path(c.ferplus.fer2013CSV), "/f/a.csv")
        XCTAssertEqual(c.path(c.ferplus.ferplusCSV), "/elsewhere/b.csv")
    }

    func testConfig_affectnetAndList_readListsAndClasses() throws {
        let a = try parse("data: {kind: affectnet7, root: /a, train_list: tr.txt, test_list: va.txt, image_dir: imgs, ignore_labels: [8, 9, 10]}")
        XCTAssertEqual(a.lists.files, [.train: "tr.txt", .test: "va.txt"])
        XCTAssertEqual(a.lists.imageDir, "imgs")
        XCTAssertEqual(a.lists.ignoredLabels, [8, 9, 10])
        XCTAssertEqual(a.classNames, ["Neutral", "Happy", "Sad", "Surprise", "Fear", "Disgust", "Anger"])
        let l = try parse("data: {kind: list, root: /l, val_list: v.txt, classes: [b, a]}")
        XCTAssertEqual(l.classNames, ["b", "a"])
        XCTAssertEqual(l.lists.files, [.validation: "v.txt"])
    }

    func testConfig_folders_splitFoldersCanBeRenamedOrSwitchedOff() throws {
        let c = try parse("data: {kind: folders, root: /d, train_dir: training, val_dir: valid, test_dir: ''}")
        XCTAssertEqual(c.folders.splitDirs, [.train: "training", .validation: "valid"])
        XCTAssertEqual(try parse("data: {kind: folders, root: /d}").folders.splitDirs, [.train: "train", .test: "test"])
    }

    func testConfig_unknownKey_isRejected() {
        assertConfigError("data: {kind: rafdb, root: /r, alligned: true}", key: "data.alligned", mentions: "unknown key")
    }

    func testConfig_keyOfAnotherKind_saysWhichKindItBelongsTo() {
        assertConfigError("data: {kind: rafdb, root: /r, fer2013_csv: x.csv}", key: "data.fer2013_csv", mentions: "ferplus")
        assertConfigError("data: {kind: ferplus, root: /r, classes: [a]}", key: "data.classes", mentions: "list or folders")
    }

    func testConfig_missingOrUnknownKindAndRoot_areErrors() {
        assertConfigError("data: {root: /r}", key: "data.kind", mentions: "missing")
        assertConfigError("data: {kind: imagenet, root: /r}", key: "data.kind", mentions: "imagenet")
        assertConfigError("data: {kind: rafdb}", key: "data.root", mentions: "missing")
    }

    func testConfig_badPolicy_isRejected() {
        assertConfigError("data: {kind: rafdb, root: /r, on_bad_image: ignore}", key: "data.on_bad_image", mentions: "choose one of skip, stop")
    }

    func testConfig_listKinds_needListsAndClasses() {
        assertConfigError("data: {kind: affectnet8, root: /r}", key: "data.train_list", mentions: "at least one")
        assertConfigError("data: {kind: list, root: /r, train_list: t.txt}", key: "data.classes", mentions: "class names")
        assertConfigError("data: {kind: list, root: /r, train_list: t.txt, classes: [a, b, a]}", key: "data.classes", mentions: "twice")
        assertConfigError("data: {kind: list, root: /r, train_list: t.txt, classes: [[a], b]}", key: "data.classes", mentions: "strings")
    }
}
