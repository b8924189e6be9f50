import Config

/// Where a data set is and how to read it: the `data:` section of a config file.
///
/// ```yaml
/// data:
///   kind: rafdb              # rafdb | ferplus | affectnet7 | affectnet8 | list | folders
///   root: /data/RAF-DB       # relative paths are taken from the working directory
///   on_bad_image: stop       # skip | stop
///   check_files: true        # look for every listed image when reading the lists
/// ```
/// plus the keys of the chosen kind (see the option structs below). Paths inside the data set are
/// relative to `root` unless absolute. A key of another kind, or an unknown key, is an error.
public struct DatasetConfig: Sendable, Equatable {
    public var kind: DatasetKind
    public var root: String
    public var onBadImage: BadImagePolicy = .stop
    /// Stat every listed image while reading (a few seconds for AffectNet's 290k files); when
    /// false, missing images surface only when decoded, under `onBadImage`.
    public var checkFiles = true
    public var rafdb = RAFDBOptions()
    public var ferplus = FERPlusOptions()
    /// For `affectnet7`, `affectnet8` and `list`.
    public var lists = ListOptions()
    public var folders = FolderOptions()

    public init(kind: DatasetKind, root: String) {
        self.kind = kind
        self.root = root
    }

    /// RAF-DB (`kind: rafdb`).
    public struct RAFDBOptions: Sendable, Equatable {
        /// `label_file`: the official partition-and-label list.
        public var labelFile = "basic/EmoLabel/list_patition_label.txt"
        /// `aligned`: read `basic/Image/aligned/NAME_aligned.jpg` (100x100, what the paper uses);
        /// false reads the full pictures in `basic/Image/original/NAME.jpg`.
        public var aligned = true
        public init() {}
    }

    /// FERPlus (`kind: ferplus`).
    public struct FERPlusOptions: Sendable, Equatable {
        /// `fer2013_csv`: FER2013's `emotion,pixels,Usage` file.
        public var fer2013CSV = "fer2013.csv"
        /// `ferplus_csv`: FERPlus's vote file, row by row the same images.
        public var ferplusCSV = "fer2013new.csv"
        public init() {}
    }

    /// List files of `image_name label` lines (`kind: affectnet7 | affectnet8 | list`).
    public struct ListOptions: Sendable, Equatable {
        /// `train_list`, `val_list`, `test_list`: at least one. For AffectNet the test list is the
        /// official validation set.
        public var files: [DatasetSplit: String] = [:]
        /// `image_dir`: where the names on the lines are found ("" = root).
        public var imageDir = ""
        /// `classes`: the class names in label order (required for `list`; fixed for AffectNet).
        public var classNames: [String] = []
        /// `ignore_labels`: labels whose lines are left out and counted, not errors (AffectNet's
        /// raw codes 8–10 for none/uncertain/no face, say). AffectNet-7 always leaves out 7.
        public var ignoredLabels: [Int] = []
        public init() {}
    }

    /// One folder per class under each split folder (`kind: folders`).
    public struct FolderOptions: Sendable, Equatable {
        /// `train_dir`, `val_dir`, `test_dir`: split folders under root; "" = no such split.
        public var splitDirs: [DatasetSplit: String] = [.train: "train", .test: "test"]
        /// `classes`: class names in label order; empty = the folder names sorted.
        public var classNames: [String] = []
        public init() {}
    }

    /// `relative` inside the data set: joined to root unless it is absolute.
    public func path(_ relative: String) -> String {
        DatasetConfig.join(root, relative)
    }

    static func join(_ base: String, _ relative: String) -> String {
        if relative.hasPrefix("/") || base.isEmpty { return relative }
        if relative.isEmpty { return base }
        return base.hasSuffix("/") ? base + relative : base + "/" + relative
    }

    /// The classes this configuration reads, in label order (for `folders` without configured
    /// classes, known only after listing the folders: empty here).
    public var classNames: [String] {
        switch kind {
        case .list: return lists.classNames
        case .folders: return folders.classNames
        default: return kind.standardClassNames ?? []
        }
    }
}

// MARK: - Reading the `data:` section

extension DatasetConfig {
    /// Keys that belong to some kinds only, so using one with another kind says so.
    static let kindKeys: [String: [DatasetKind]] = [
        "label_file": [.rafdb], "aligned": [.rafdb],
        "fer2013_csv": [.ferplus], "ferplus_csv": [.ferplus],
        "train_list": [.affectnet7, .affectnet8, .list], "val_list": [.affectnet7, .affectnet8, .list],
        "test_list": [.affectnet7, .affectnet8, .list], "image_dir": [.affectnet7, .affectnet8, .list],
        "ignore_labels": [.affectnet7, .affectnet8, .list],
        "classes": [.list, .folders],
        "train_dir": [.folders], "val_dir": [.folders], "test_dir": [.folders],
    ]

    /// Reads a `data:` section; unknown keys, keys of another kind and bad values are errors that
    /// name the key.
    public init(section s: ConfigSection) throws {
        let kind = DatasetKind(rawValue: try s.word("kind", default: nil, among: DatasetKind.allCases.map(\.rawValue), "kind"))!
        let root = try s.string("root", default: "")
        guard !root.isEmpty else { throw ConfigError(key: "data.root", "missing; the folder holding the data set") }
        self.init(kind: kind, root: root)

        onBadImage = try s.choice("on_bad_image", default: onBadImage, "policy")
        checkFiles = try s.bool("check_files", default: checkFiles)

        for (key, kinds) in DatasetConfig.kindKeys.sorted(by: { $0.key < $1.key }) where s.has(key) && !kinds.contains(kind) {
            throw ConfigError(key: "data.\(key)", "applies to kind \(kinds.map(\.rawValue).joined(separator: " or ")) only, not \(kind.rawValue)")
        }
        switch kind {
        case .rafdb:
            rafdb.labelFile = try s.string("label_file", default: rafdb.labelFile)
            rafdb.aligned = try s.bool("aligned", default: rafdb.aligned)
        case .ferplus:
            ferplus.fer2013CSV = try s.string("fer2013_csv", default: ferplus.fer2013CSV)
            ferplus.ferplusCSV = try s.string("ferplus_csv", default: ferplus.ferplusCSV)
        case .affectnet7, .affectnet8, .list:
            try readListOptions(s)
        case .folders:
            try readFolderOptions(s)
        }
        try s.finish()
        try validate()
    }

    private mutating func readListOptions(_ s: ConfigSection) throws {
        for (key, split) in [("train_list", DatasetSplit.train), ("val_list", .validation), ("test_list", .test)] {
            let file = try s.string(key, default: "")
            if !file.isEmpty { lists.files[split] = file }
        }
        lists.imageDir = try s.string("image_dir", default: "")
        lists.ignoredLabels = try s.ints("ignore_labels", default: [])
        if kind == .list { lists.classNames = try s.strings("classes", default: []) }
    }

    private mutating func readFolderOptions(_ s: ConfigSection) throws {
        for (key, split) in [("train_dir", DatasetSplit.train), ("val_dir", .validation), ("test_dir", .test)] {
            let dir = try s.string(key, default: folders.splitDirs[split] ?? "")
            folders.splitDirs[split] = dir.isEmpty ? nil : dir
        }
        folders.classNames = try s.strings("classes", default: [])
    }

    /// Checks the combination of settings; the error names the key to change.
    public func validate() throws {
        guard !root.isEmpty else { throw ConfigError(key: "data.root", "missing; the folder holding the data set") }
        switch kind {
        case .affectnet7, .affectnet8, .list:
            guard !lists.files.isEmpty else {
                throw ConfigError(key: "data.train_list", "kind \(kind.rawValue) needs at least one of train_list, val_list, test_list")
            }
            if kind == .list {
                guard !lists.classNames.isEmpty else {
                    throw ConfigError(key: "data.classes", "kind list needs the class names in label order, like [angry, happy, sad]")
                }
                try DatasetConfig.checkUnique(lists.classNames)
            }
        case .folders:
            guard !folders.splitDirs.isEmpty else {
                throw ConfigError(key: "data.train_dir", "kind folders needs at least one split folder")
            }
            try DatasetConfig.checkUnique(folders.classNames)
        case .rafdb, .ferplus:
            break
        }
    }

    private static func checkUnique(_ names: [String]) throws {
        var seen: Set<String> = []
        for name in names {
            guard !name.isEmpty else { throw ConfigError(key: "data.classes", "class names must not be empty") }
            guard seen.insert(name).inserted else { throw ConfigError(key: "data.classes", "'\(name)' appears twice") }
        }
    }
}
