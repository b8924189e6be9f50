import Autograd
import Checkpoint
import QCS

/// The base path of a QCS model with weights loaded, ready to turn image batches into logits.
/// Owns the parameters and one evaluation-mode graph whose activations are dropped after every
/// batch, so memory stays flat however many batches run.
public final class InferenceModel {
    public let config: QCSConfig
    public let model: QCSModel
    public let store: ParameterStore
    /// What loading the weights did (for `--verbose`).
    public let loadReport: WeightLoadReport
    private let graph: Graph

    /// Builds the model of `config` and loads `weightsPath` by official names. The file may hold
    /// the whole training model or only the inference part; every parameter and buffer of the
    /// inference path must be in it with the right shape.
    /// - Throws: `InferenceError`, `WeightLoadError` or `SafetensorsError` (each names the file).
    public convenience init(config: QCSConfig, weightsPath: String, compute: ComputePool? = nil) throws {
        if let metadata = try OfficialWeights.metadata(of: weightsPath), metadata.config != config {
            throw InferenceError.configMismatch(path: weightsPath,
                                                differences: Self.differences(file: metadata.config, config: config))
        }
        let (model, store) = QCSModel.build(config)
        store.requiresGrad = false
        let report = try OfficialWeights.load(weightsPath, into: store, strict: false)
        // The load's own rule of what a file must hold (BatchNorm counters are optional everywhere),
        // over the inference path's tensors.
        let missing = (report.missing + report.shapeMismatches.map(\.name)).filter(OfficialNames.isInference)
        guard missing.isEmpty else {
            throw InferenceError.incompleteInferenceWeights(path: weightsPath, missing: missing,
                                                            report: report.summary(limit: 4))
        }
        try Self.requireFinite(store, path: weightsPath, only: OfficialNames.isInference)
        self.init(config: config, model: model, store: store, report: report, compute: compute)
    }

    /// Refuses weights with a NaN or an infinity in a tensor `only` selects, naming the tensors.
    static func requireFinite(_ store: ParameterStore, path: String, only: (String) -> Bool = { _ in true }) throws {
        let bad = store.nonFiniteTensors(only: only)
        if !bad.isEmpty { throw InferenceError.nonFiniteWeights(path: path, tensors: bad) }
    }

    /// Builds the model of `config` and fills it from the sharded checkpoint in `checkpointDirectory`
    /// (parameters and statistics only; each shard checked before use). The checkpoint must hold
    /// this very model.
    public convenience init(config: QCSConfig, checkpointDirectory directory: String, compute: ComputePool? = nil) throws {
        let manifest = try CheckpointManifest.read(directory)
        if let json = manifest.metadata[CheckpointContents.modelKey], let saved = try? ExportMetadata.config(json: json),
           saved != config {
            throw InferenceError.configMismatch(path: directory, differences: Self.differences(file: saved, config: config))
        }
        let (model, store) = QCSModel.build(config)
        store.requiresGrad = false
        _ = try ShardedCheckpoint.load(directory, into: [CheckpointBuffer(name: "parameters", tensor: store.values),
                                                         CheckpointBuffer(name: "buffers", tensor: store.bufferValues)])
        let report = WeightLoadReport.complete(path: directory,
                                               names: (store.layout.parameters + store.layout.buffers).map(\.name))
        try Self.requireFinite(store, path: directory, only: OfficialNames.isInference)
        self.init(config: config, model: model, store: store, report: report, compute: compute)
    }

    /// The weights `source` names.
    public convenience init(config: QCSConfig, source: WeightsLocation.Source, compute: ComputePool? = nil) throws {
        switch source {
        case .file(let path): try self.init(config: config, weightsPath: path, compute: compute)
        case .checkpoint(let directory): try self.init(config: config, checkpointDirectory: directory, compute: compute)
        }
    }

    private init(config: QCSConfig, model: QCSModel, store: ParameterStore, report: WeightLoadReport, compute: ComputePool?) {
        self.config = config
        self.model = model
        self.store = store
        self.loadReport = report
        graph = Graph(parameters: store, compute: compute, training: false)
    }

    /// How the forward pass multiplies (float32 unless set).
    public var precision: MatrixPrecision {
        get { graph.matrixPrecision }
        set { graph.matrixPrecision = newValue }
    }

    /// Logits for a batch `[B, 3, S, S]` (S = `config.imageSize`, normalised): B rows of
    /// `config.numClasses`.
    public func logits(_ images: Tensor) -> [[Float]] {
        defer { graph.reset() }
        return SplitEvaluation.rows(of: model.inferenceLogits(graph.input(images)).value)
    }

    /// The config keys in which two configurations differ, as "model.key file vs config".
    static func differences(file: QCSConfig, config: QCSConfig) -> [String] {
        zip(file.keyedValues, config.keyedValues).compactMap { x, y in
            x.value == y.value ? nil : "model.\(x.key) \(x.value) vs \(y.value)"
        }
    }
}
