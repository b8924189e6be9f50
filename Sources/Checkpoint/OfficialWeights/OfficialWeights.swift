import Autograd
import Safetensors

/// Loading and exporting a QCS model's weights as a single safetensors file under the official
/// PyTorch state-dict names, so that weights move both ways between the official code and ours
/// (`.pth` files go through `scripts/convert_pth_to_safetensors.py` first).
///
///     let (model, store) = QCSModel.build(.paper)
///     let report = try OfficialWeights.load("ir50.safetensors", into: store, scope: .backbone)
///     print(report)
public enum OfficialWeights {
    /// Which of the model's tensors a load fills.
    public enum Scope: String, Sendable {
        /// Every parameter and buffer.
        case wholeModel = "whole model"
        /// Only `ir_back.*`: starting from IR-50 weights pre-trained on MS-Celeb-1M (`ir50.pth`),
        /// or from the backbone of another QCS model (the AffectNet-8 → RAF-DB recipe). File
        /// tensors outside the backbone are ignored and counted in `WeightLoadReport.outOfScope`.
        case backbone = "backbone only"
    }

    /// Which tensors an export writes.
    public enum Part: String, Sendable {
        /// Everything the model trains: parameters and buffers of all modules.
        case full
        /// The base path inference runs (`OfficialNames.inferenceModules`): no CSA, no VIT_cross.
        case inference
    }

    // MARK: - Loading

    /// Loads the safetensors file at `path` into `store` by official names.
    ///
    /// 1. Every file key is renamed to the official name it stands for (`OfficialNames.RenameRule`).
    /// 2. Each key is classified: ours with the right shape (loaded), ours with another shape
    ///    (mismatch, never written), a never-used official module (skipped), outside the scope
    ///    (ignored), or unknown (unexpected). Model tensors in scope left over are missing.
    /// 3. Strict (the default): any missing, mismatched or unexpected tensor throws
    ///    `WeightLoadError.incomplete` before a single value is written. Not strict: the matching
    ///    tensors are written, the others keep the model's values, and the report says which.
    ///
    /// Integer tensors (PyTorch stores `num_batches_tracked` as I64) are converted by value; a
    /// file without those counters is complete all the same (`WeightLoadReport.absentCounters`).
    /// - Throws: `SafetensorsError` for an unreadable file or a tensor whose dtype cannot become
    ///   float32; `WeightLoadError` otherwise.
    @discardableResult
    public static func load(_ path: String, into store: ParameterStore, scope: Scope = .wholeModel,
                            strict: Bool = true) throws -> WeightLoadReport {
        let file = try SafetensorsFile(path: path)
        _ = try ExportMetadata(of: file)  // refuses files from a newer export format
        let (report, writes) = try plan(file, store: store, scope: scope)
        if strict, !report.isComplete { throw WeightLoadError.incomplete(report) }
        for (fileKey, target) in writes { try file.read(named: fileKey, into: store.value(target)) }
        return report
    }

    /// The report of loading `file` into `store`, and the (file key, model tensor) pairs to copy.
    /// Reads no tensor data, so a refused load leaves the model untouched.
    static func plan(_ file: SafetensorsFile, store: ParameterStore, scope: Scope) throws
        -> (WeightLoadReport, [(String, Parameter)]) {
        let inScope = (store.layout.parameters + store.layout.buffers).filter {
            scope == .wholeModel || $0.name.hasPrefix(OfficialNames.backbonePrefix)
        }
        let ours = Dictionary(uniqueKeysWithValues: inScope.map { ($0.name, $0) })
        var report = WeightLoadReport(path: file.path, scope: scope)
        var fileKeyOf: [String: String] = [:]
        var writes: [(String, Parameter)] = []
        for key in file.tensorNames {
            let (name, rules) = OfficialNames.officialName(forFileKey: key)
            if let other = fileKeyOf[name] {
                throw WeightLoadError.duplicateName(path: file.path, name: name, fileKeys: [other, key])
            }
            fileKeyOf[name] = key
            if !rules.isEmpty { report.renamed.append(.init(fileKey: key, name: name, rules: rules)) }

            if scope == .backbone, !name.hasPrefix(OfficialNames.backbonePrefix) {
                report.outOfScope.append(name)
            } else if let target = ours[name] {
                let entry = try file.entry(named: key)
                if entry.shape != target.shape {
                    report.shapeMismatches.append(.init(name: name, expected: target.shape, found: entry.shape))
                } else if !entry.dtype.isReadable {
                    throw SafetensorsError.unsupportedDType(path: file.path, tensor: key, dtype: entry.dtype.rawValue)
                } else {
                    writes.append((key, target))
                }
            } else if OfficialNames.isNeverUsed(name) {
                report.skippedNeverUsed.append(name)
            } else {
                report.unexpected.append(name)
            }
        }
        // Report in the model's declaration order, which is how a reader walks the network.
        let written = Set(writes.map(\.1.name))
        let mismatched = Set(report.shapeMismatches.map(\.name))
        report.loaded = inScope.map(\.name).filter { written.contains($0) }
        let absent = inScope.map(\.name).filter { fileKeyOf[$0] == nil }
        report.absentCounters = absent.filter { $0.hasSuffix(".num_batches_tracked") }
        report.missing = absent.filter { !$0.hasSuffix(".num_batches_tracked") }
        let order = Dictionary(uniqueKeysWithValues: inScope.enumerated().map { ($1.name, $0) })
        report.shapeMismatches.sort { order[$0.name, default: 0] < order[$1.name, default: 0] }
        assert(report.loaded.count + report.missing.count + report.absentCounters.count + mismatched.count == inScope.count)
        return (report, writes)
    }
}
