// Batch normalisation over the channels of NCHW images. Shapes: x, y [N, C, H, W];
// weight, bias, runningMean, runningVar, and the saved mean and 1/σ [C]. M = N·H·W values per channel.

extension Variable {
    /// y = (x − μ_c)/√(σ²_c + eps) · weight_c + bias_c, as PyTorch's BatchNorm2d.
    ///
    /// Training (`graph.isTraining`): μ, σ² are the batch's (biased σ² normalises), and the
    /// running statistics are updated in place: running = (1 − momentum)·running + momentum·batch,
    /// with the unbiased σ²·M/(M − 1) for the variance. Evaluation: μ, σ² are the running ones,
    /// constants to backward. Every per-channel loop is fused and parallel over channels.
    ///
    /// `residual` (the shape of x): y = BN(x) + residual in the same pass, as `batchNorm2d(…) +
    /// residual` computes it bit for bit, without the intermediate BN(x) and its extra passes over
    /// memory forward and backward (the IR block's last BatchNorm and its shortcut).
    public func batchNorm2d(weight: Variable, bias: Variable, runningMean: Tensor, runningVar: Tensor,
                            momentum: Float = 0.1, eps: Float = 1e-5, adding residual: Variable? = nil) -> Variable {
        let g = graph
        precondition(shape.count == 4, "batchNorm2d input must be NCHW, got \(shape)")
        let (N, C, plane) = (shape[0], shape[1], shape[2] * shape[3])
        let M = N * plane
        for (name, t) in [("weight", weight.value), ("bias", bias.value), ("runningMean", runningMean), ("runningVar", runningVar)] {
            precondition(t.shape == [C], "batchNorm2d \(name) \(t.shape) for \(C) channels")
        }
        precondition(residual.map { $0.shape == shape } ?? true, "batchNorm2d residual \(residual?.shape ?? []) for \(shape)")
        let training = g.isTraining
        let reduction = training ? g.batchReduction : nil
        precondition(!training || M > 1 || reduction != nil,
                     "batchNorm2d in training needs more than one value per channel, got \(shape)")
        let out = g.allocate(shape)
        let saved = g.allocate([2, C])  // row 0: μ, row 1: 1/√(σ² + eps), as used by this pass
        let mean = saved.data, invStd = saved.data + C
        let x = data, y = out.data, w = weight.data, b = bias.data, r = residual?.data
        let rm = runningMean.data, rv = runningVar.data
        // Exact mode: the replicas' statistics together, then the same normalisation as below.
        let globalM = reduction.map { synchronizedStatistics($0, mean: mean, invStd: invStd, momentum: momentum, eps: eps,
                                                             runningMean: rm, runningVar: rv) }
        g.compute.parallelFor(C, grain: channelGrain(M)) { channels in
            for c in channels {
                if globalM != nil {
                    // μ and 1/σ were set from every replica's batch above.
                } else if training {
                    // Two passes (mean, then squared deviations): stable where E[x²] − μ² is not.
                    var sum = 0.0
                    for n in 0..<N { sum += Double(PlaneReductions.sum(x + (n * C + c) * plane, plane)) }
                    let mu = Float(sum / Double(M))
                    var squares = 0.0
                    for n in 0..<N {
                        squares += Double(PlaneReductions.squaredDeviations(x + (n * C + c) * plane, plane, mean: mu))
                    }
                    let variance = squares / Double(M)
                    mean[c] = mu
                    invStd[c] = Float(1 / (variance + Double(eps)).squareRoot())
                    rm[c] = (1 - momentum) * rm[c] + momentum * mu
                    rv[c] = (1 - momentum) * rv[c] + momentum * Float(variance * Double(M) / Double(M - 1))
                } else {
                    mean[c] = rm[c]
                    invStd[c] = 1 / (rv[c] + eps).squareRoot()
                }
                let scale = w[c] * invStd[c], shift = b[c] - mean[c] * scale
                for n in 0..<N {
                    let xs = x + (n * C + c) * plane, ys = y + (n * C + c) * plane
                    if let r {
                        let rs = r + (n * C + c) * plane
                        for p in 0..<plane { ys[p] = (xs[p] * scale + shift) + rs[p] }
                    } else {
                        for p in 0..<plane { ys[p] = xs[p] * scale + shift }
                    }
                }
            }
        }
        // Backward reads x only as x − μ. In bfloat16 mode that difference is kept rounded: each
        // x̂ then moves by at most 2⁻⁸ of itself, with no cancellation whatever μ is (rounding x
        // itself would lose x − μ when |μ| ≫ σ), and the float32 x can go back to the pool.
        let centered: BFloat16Tensor? = g.savesBFloat16
            ? BFloat16Tensor(centering: value, channelMeans: mean, pool: g.pool, compute: g.compute) : nil
        let kept: Tensor? = centered == nil ? value : nil
        let input = handle, shortcut = residual?.handle
        return g.record(out, inputs: [self, weight, bias] + (residual.map { [$0] } ?? [])) { g, dy in
            // The sum's gradient reaches the residual unchanged: dy itself, unless the residual
            // is x, whose gradient is written below while dy is read.
            if let shortcut { g.accumulateGradient(dy, into: shortcut, sharing: shortcut.id != input.id) }
            /// `x` is x [N, C, H, W], or x − μ when `isCentered`.
            func run(_ x: UnsafePointer<Float>, isCentered: Bool) {
                // Reading through `saved` keeps its pooled storage alive until backward.
                let mean = saved.data, invStd = saved.data + C
                // Without a reduction every element of dx is written below: the first gradient
                // to reach x is stored, not added to a zero fill. Exact mode may skip dx.
                let destination = reduction == nil
                    ? g.gradientDestination(for: input) : g.gradient(for: input).map { (tensor: $0, overwrite: false) }
                let dx = destination?.tensor.data, overwrite = destination?.overwrite ?? false
                let dw = g.gradient(for: weight)?.data, db = g.gradient(for: bias)?.data
                let gy = dy.data
                let localSums = reduction?.contributes ?? true
                /// Σdy and Σdy·x̂ of channel c over this replica's batch.
                func sums(_ c: Int) -> (Double, Double) {
                    let mu = isCentered ? 0 : mean[c], s = Double(invStd[c])
                    var sumDy = 0.0, sumDyXhat = 0.0
                    for n in 0..<N {
                        let (a, d) = PlaneReductions.sumAndCenteredDot(gy + (n * C + c) * plane, x + (n * C + c) * plane,
                                                                        plane, mean: mu)
                        sumDy += Double(a)
                        sumDyXhat += Double(d) * s
                    }
                    return localSums ? (sumDy, sumDyXhat) : (0, 0)
                }
                /// Training: dx = w/σ·(dy − mean(dy) − x̂·mean(dy·x̂)); evaluation: dx = w/σ·dy.
                func addInputGradient(_ dx: UnsafeMutablePointer<Float>, _ c: Int, meanDy: Float, meanDyXhat: Float) {
                    let mu = isCentered ? 0 : mean[c], s = invStd[c], k = w[c] * s
                    for n in 0..<N {
                        let xs = x + (n * C + c) * plane, gs = gy + (n * C + c) * plane
                        let dxs = dx + (n * C + c) * plane
                        for p in 0..<plane {
                            let xhat = (xs[p] - mu) * s
                            let d = k * (gs[p] - meanDy - xhat * meanDyXhat)
                            dxs[p] = overwrite ? d : dxs[p] + d
                        }
                    }
                }
                guard let reduction, let globalM else {
                    g.compute.parallelFor(C, grain: channelGrain(M)) { channels in
                        for c in channels {
                            let (sumDy, sumDyXhat) = sums(c)
                            dw?[c] += Float(sumDyXhat)
                            db?[c] += Float(sumDy)
                            guard let dx else { continue }
                            addInputGradient(dx, c, meanDy: training ? Float(sumDy / Double(M)) : 0,
                                             meanDyXhat: training ? Float(sumDyXhat / Double(M)) : 0)
                        }
                    }
                    return
                }
                // Exact mode: the parameters take this replica's sums (the gradient exchange adds
                // the replicas up); dx needs the sums over every replica (SyncBatchNorm's backward).
                let all = UnsafeMutableBufferPointer<Double>.allocate(capacity: 2 * C)
                defer { all.deallocate() }
                g.compute.parallelFor(C, grain: channelGrain(M)) { channels in
                    for c in channels {
                        let (sumDy, sumDyXhat) = sums(c)
                        dw?[c] += Float(sumDyXhat)
                        db?[c] += Float(sumDy)
                        all[c] = sumDy
                        all[C + c] = sumDyXhat
                    }
                }
                guard let dx else { return }
                reduction.sum(all)
                // A stand-in batch is not part of the batch: nothing flows back through it (its dy is
                // 0, but the batch-wide terms below are not).
                guard reduction.contributes else { return }
                g.compute.parallelFor(C, grain: channelGrain(M)) { channels in
                    for c in channels {
                        addInputGradient(dx, c, meanDy: Float(all[c] / globalM), meanDyXhat: Float(all[C + c] / globalM))
                    }
                }
            }
            if let centered {
                centered.withWidened(g) { run($0, isCentered: true) }
            } else if let kept {
                withExtendedLifetime(kept) { run(kept.data, isCentered: false) }
            }
        }
    }

    /// Exact mode's statistics (training with a `BatchReduction`): μ from every replica's sums,
    /// then σ² from every replica's squared deviations about that μ (two passes, as on one
    /// replica); sets `mean`, `invStd` and the running statistics. Returns the values per
    /// channel over all replicas.
    private func synchronizedStatistics(_ reduction: BatchReduction, mean: UnsafeMutablePointer<Float>,
                                        invStd: UnsafeMutablePointer<Float>, momentum: Float, eps: Float,
                                        runningMean rm: UnsafeMutablePointer<Float>,
                                        runningVar rv: UnsafeMutablePointer<Float>) -> Double {
        let (N, C, plane) = (shape[0], shape[1], shape[2] * shape[3])
        let x = data, local = reduction.contributes
        let buffer = UnsafeMutableBufferPointer<Double>.allocate(capacity: C + 1)
        defer { buffer.deallocate() }
        graph.compute.parallelFor(C, grain: channelGrain(N * plane)) { channels in
            for c in channels {
                var sum = 0.0
                for n in 0..<N { sum += Double(PlaneReductions.sum(x + (n * C + c) * plane, plane)) }
                buffer[c] = local ? sum : 0
            }
        }
        buffer[C] = local ? Double(N * plane) : 0
        reduction.sum(buffer)
        let M = buffer[C]
        guard M > 0 else {
            // Every replica ran a stand-in: nothing to normalise by, and nothing to learn from.
            for c in 0..<C { mean[c] = 0; invStd[c] = 1 }
            return 0
        }
        for c in 0..<C { mean[c] = Float(buffer[c] / M) }
        graph.compute.parallelFor(C, grain: channelGrain(N * plane)) { channels in
            for c in channels {
                var squares = 0.0
                for n in 0..<N {
                    squares += Double(PlaneReductions.squaredDeviations(x + (n * C + c) * plane, plane, mean: mean[c]))
                }
                buffer[c] = local ? squares : 0
            }
        }
        reduction.sum(UnsafeMutableBufferPointer(rebasing: buffer[0..<C]))
        for c in 0..<C {
            let variance = buffer[c] / M
            invStd[c] = Float(1 / (variance + Double(eps)).squareRoot())
            rm[c] = (1 - momentum) * rm[c] + momentum * mean[c]
            if M > 1 { rv[c] = (1 - momentum) * rv[c] + momentum * Float(variance * M / (M - 1)) }
        }
        return M
    }
}

/// Channels per thread chunk when each channel holds `m` values.
private func channelGrain(_ m: Int) -> Int { max(1, 16_384 / max(1, m)) }
