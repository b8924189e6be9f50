import ArgumentParser
import Autograd
import Trainer

extension ArithmeticPrecision: ExpressibleByArgument {}

/// `--precision fp32|bf16`: how matrix products multiply, for one command.
struct PrecisionOption: ParsableArguments {
    @Option(help: ArgumentHelp("How convolutions, linear layers and attention multiply: fp32, or bf16 (bfloat16 "
                               + "operands, float32 sums; fastest on CPUs with AVX512_BF16). Default: the config's "
                               + "train.precision, itself fp32 unless set.",
                               discussion: "Weights, gradients, optimiser state, the exchange and the other ops stay "
                               + "float32 either way (docs/ENGINE.md, \"Mixed precision\").",
                               valueName: "fp32|bf16"))
    var precision: ArithmeticPrecision?

    /// This option, else the config's.
    func resolved(_ config: TrainingConfig) -> ArithmeticPrecision { precision ?? config.run.precision }

    /// Prints on standard error what bf16 falls back to on this CPU, when it does.
    static func announce(_ precision: ArithmeticPrecision) {
        if let notice = precision.notice { StandardError.print("warning: \(notice)") }
    }
}
