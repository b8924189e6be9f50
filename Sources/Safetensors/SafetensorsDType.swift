/// The element types of the safetensors format, spelled as in the header.
public enum SafetensorsDType: String, CaseIterable, Sendable {
    case bool = "BOOL"
    case u8 = "U8", i8 = "I8", f8e5m2 = "F8_E5M2", f8e4m3 = "F8_E4M3"
    case i16 = "I16", u16 = "U16", f16 = "F16", bf16 = "BF16"
    case i32 = "I32", u32 = "U32", f32 = "F32"
    case i64 = "I64", u64 = "U64", f64 = "F64"

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .bool, .u8, .i8, .f8e5m2, .f8e4m3: return 1
        case .i16, .u16, .f16, .bf16: return 2
        case .i32, .u32, .f32: return 4
        case .i64, .u64, .f64: return 8
        }
    }

    /// Whether `SafetensorsFile.tensor(named:)` can convert this type to float32. Integers
    /// are there for buffers such as batch-norm's `num_batches_tracked`.
    public var isReadable: Bool {
        switch self {
        case .f32, .f16, .bf16, .f64, .i64, .i32: return true
        default: return false
        }
    }

    /// Whether `SafetensorsWriter` can store float32 tensors as this type.
    public var isWritable: Bool { self == .f32 || self == .f16 || self == .bf16 }
}
