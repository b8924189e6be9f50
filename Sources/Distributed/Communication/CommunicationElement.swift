/// A value type the collectives move: the MPI datatypes qcs uses, and how each reduces.
public protocol CommunicationElement: Sendable {
    static var kind: ElementKind { get }
    /// `a op b`, as MPI computes it (integer sums wrap).
    static func combine(_ a: Self, _ b: Self, _ op: ReduceOperation) -> Self
}

/// The MPI datatype of a `CommunicationElement`.
public enum ElementKind: Sendable {
    case float32, float64, int32, int64, uint8, uint16
}

extension BinaryFloatingPoint where Self: CommunicationElement {
    public static func combine(_ a: Self, _ b: Self, _ op: ReduceOperation) -> Self {
        switch op {
        case .sum: a + b
        case .max: Swift.max(a, b)
        case .min: Swift.min(a, b)
        }
    }
}

extension Float: CommunicationElement { public static var kind: ElementKind { .float32 } }
extension Double: CommunicationElement { public static var kind: ElementKind { .float64 } }

extension FixedWidthInteger where Self: CommunicationElement {
    public static func combine(_ a: Self, _ b: Self, _ op: ReduceOperation) -> Self {
        switch op {
        case .sum: a &+ b
        case .max: Swift.max(a, b)
        case .min: Swift.min(a, b)
        }
    }
}

extension Int32: CommunicationElement { public static var kind: ElementKind { .int32 } }
extension Int64: CommunicationElement { public static var kind: ElementKind { .int64 } }
extension UInt8: CommunicationElement { public static var kind: ElementKind { .uint8 } }
extension UInt16: CommunicationElement { public static var kind: ElementKind { .uint16 } }
