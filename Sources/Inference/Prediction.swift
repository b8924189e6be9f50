import Foundation

/// The model's answer for one image: logits, probabilities, and the best classes.
public struct Prediction: Sendable, Equatable {
    /// The image as the user named it.
    public let image: String
    public let logits: [Float]
    /// Softmax of `logits` (or, with flip test-time augmentation, the mean of two softmaxes).
    public let probabilities: [Double]

    public init(image: String, logits: [Float], probabilities: [Double]? = nil) {
        self.image = image
        self.logits = logits
        self.probabilities = probabilities ?? Prediction.softmax(logits)
    }

    /// The index of the most probable class (0 when there are none).
    public var best: Int { top(1).first?.label ?? 0 }

    /// The `k` most probable classes, most probable first (ties: lower label first).
    public func top(_ k: Int) -> [(label: Int, probability: Double)] {
        probabilities.enumerated()
            .sorted { $0.element != $1.element ? $0.element > $1.element : $0.offset < $1.offset }
            .prefix(max(k, 0)).map { (label: $0.offset, probability: $0.element) }
    }

    /// `image: Happiness 0.912, Neutral 0.051, Surprise 0.020`.
    public func textLine(classNames: [String], topK: Int) -> String {
        let parts = top(topK).map { "\(Self.name($0.label, classNames)) \(String(format: "%.3f", $0.probability))" }
        return "\(image): " + parts.joined(separator: ", ")
    }

    /// One JSON object on one line: the image, the top-k classes with probabilities, the class
    /// names, and every logit and probability in label order.
    public func jsonLine(classNames: [String], topK: Int) -> String {
        let object: [String: Any] = [
            "image": image,
            "top": top(topK).map { ["label": $0.label, "class": Self.name($0.label, classNames),
                                    "probability": $0.probability] as [String: Any] },
            "classes": logits.indices.map { Self.name($0, classNames) },
            "logits": logits.map(Double.init),
            "probabilities": probabilities,
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// Softmax of one row of logits, in Double so that a confident model's probabilities still
    /// sum to 1 when printed.
    public static func softmax(_ logits: [Float]) -> [Double] {
        guard let top = logits.max() else { return [] }
        let e = logits.map { exp(Double($0 - top)) }
        let sum = e.reduce(0, +)
        return e.map { $0 / sum }
    }

    static func name(_ label: Int, _ names: [String]) -> String {
        label < names.count ? names[label] : "class \(label)"
    }
}
