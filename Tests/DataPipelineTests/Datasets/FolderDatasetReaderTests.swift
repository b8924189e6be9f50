import TestSupport
import XCTest
@testable import DataPipeline

final class FolderDatasetReaderTests: XCTestCase {
    func makeFolders(_ scratch: ScratchDirectory) throws {
        for path in ["train/sad/1.jpg", "train/happy/2.JPG", "train/happy/1.png", "train/angry/x.jpeg",
                     "test/happy/9.jpg", "test/sad/8.jpg"] {
            try DatasetFixtures.writeJPEG(scratch, path)
        }
        try scratch.write("train/happy/notes.txt", text: "not an image")
        try scratch.write("train/happy/.hidden.jpg", text: "editor junk")
        try scratch.write("train/.ipynb_checkpoints/x.jpg", text: "not a class")
    }

    func testFolders_classesAreTheFolderNamesSorted() throws {
        let scratch = try ScratchDirectory()
        try makeFolders(scratch)
        let data = try DatasetReader(config: DatasetConfig(kind: .folders, root: scratch.path)).read()
        XCTAssertEqual(data.classNames, ["angry", "happy", "sad"])
        XCTAssertEqual(data.samples(.train).map(\.source.description).map { $0.replacingOccurrences(of: scratch.path, with: "") },
                       ["/train/angry/x.jpeg", "/train/happy/1.png", "/train/happy/2.JPG", "/train/sad/1.jpg"])
        XCTAssertEqual(data.samples(.train).map(\.label), [0, 1, 1, 2])
        XCTAssertEqual(data.samples(.test).map(\.label), [1, 2])
    }

    func testFolders_configuredClassOrderIsKept() throws {
        let scratch = try ScratchDirectory()
        try makeFolders(scratch)
        var c = DatasetConfig(kind: .folders, root: scratch.path)
        c.folders.classNames = ["sad", "happy", "angry"]
        let data = try DatasetReader(config: c).read()
        XCTAssertEqual(data.samples(.test).map(\.label), [1, 0])
        XCTAssertEqual(data.classCounts(.train), [1, 2, 1])
    }

    func testFolders_unknownAndMissingClassFolders_areProblems() throws {
        let scratch = try ScratchDirectory()
        try makeFolders(scratch)
        var c = DatasetConfig(kind: .folders, root: scratch.path)
        c.folders.classNames = ["happy", "sad", "surprised"]
        guard let problems = DatasetFixtures.problems({ try DatasetReader(config: c).read() }) else { return }
        XCTAssertEqual(problems.problems, [.missingClassFolder(className: "surprised", root: scratch.path),
                                           .unknownClassFolder(folder: scratch.path + "/train/angry", allowed: ["happy", "sad", "surprised"])])
    }

    func testFolders_missingSplitFolder_isAProblem() throws {
        let scratch = try ScratchDirectory()
        try makeFolders(scratch)
        var c = DatasetConfig(kind: .folders, root: scratch.path)
        c.folders.splitDirs[.validation] = "val"
        guard let problems = DatasetFixtures.problems({ try DatasetReader(config: c).read() }) else { return }
        XCTAssertEqual(problems.problems.map(\.file), [scratch.path + "/val"])
    }
}
