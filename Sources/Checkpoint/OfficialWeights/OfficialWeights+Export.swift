import Autograd
import QCS
import Safetensors

extension OfficialWeights {
    /// Writes the parameters and buffers of `store` to one safetensors file at `path` under
    /// their official names, parameters first, each group in the model's declaration order.
    /// The metadata (`ExportMetadata`) records `config`, `part` and the format version.
    ///
    /// Every tensor is stored as `dtype` (F32, F16 or BF16), `num_batches_tracked` included: the
    /// writer has no integer types, and PyTorch's `load_state_dict` converts it back to int64.
    /// - Returns: the names written, in file order.
    /// - Throws: `SafetensorsError` when the file cannot be written.
    @discardableResult
    public static func export(_ store: ParameterStore, config: QCSConfig, to path: String, part: Part = .full,
                              dtype: SafetensorsDType = .f32) throws -> [String] {
        let tensors = (store.layout.parameters + store.layout.buffers)
            .filter { part == .full || OfficialNames.isInference($0.name) }
            .map { (name: $0.name, tensor: store.value($0)) }
        let metadata = ExportMetadata(part: part, config: config)
        try SafetensorsWriter(path: path, dtype: dtype).write(tensors, metadata: metadata.strings)
        return tensors.map(\.name)
    }

    /// The metadata of the exported weights file at `path` (config, part, format version), or
    /// nil for a file that `export` did not write, such as one converted from PyTorch.
    public static func metadata(of path: String) throws -> ExportMetadata? {
        try ExportMetadata(of: SafetensorsFile(path: path))
    }
}
