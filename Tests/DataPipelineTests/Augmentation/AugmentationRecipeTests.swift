@testable import Imaging
import Autograd
@testable import DataPipeline
import XCTest

final class AugmentationRecipeTests: XCTestCase {
    private let jitter = ImageAugmentation.colorJitter(ColorJitter(brightness: 0.2, contrast: 0.2, saturation: 0.2, hue: 0.1))

    private func recipe(_ kind: AugmentationRecipe.Kind, training: Bool, size: Int = 224) throws -> AugmentationRecipe {
        try AugmentationRecipe(kind: kind, options: .init(training: training, outputSize: size))
    }

    /// A small picture with structure, so that every step visibly changes it.
    private func picture(width: Int = 40, height: Int = 40) -> RGBImage {
        var p = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let i = (y * width + x) * 3
                p[i] = UInt8((x * 255) / max(width - 1, 1))
                p[i + 1] = UInt8((y * 255) / max(height - 1, 1))
                p[i + 2] = UInt8(((x / 5 + y / 5) % 2) * 200 + 20)
            }
        }
        return RGBImage(width: width, height: height, pixels: p)
    }

    // MARK: - The recipes of docs/DATA.md

    func testRecipes_trainMatchSpecStepByStep() throws {
        XCTAssertEqual(try recipe(.rafdb, training: true).imageSteps,
                       [.resize(size: 224), .horizontalFlip(probability: 0.5), jitter])
        XCTAssertEqual(try recipe(.ferplus, training: true).imageSteps,
                       [.resize(size: 232), .horizontalFlip(probability: 0.5), .rotation(maxDegrees: 10),
                        .randomCrop(size: 224), jitter])
        XCTAssertEqual(try recipe(.affectnet, training: true).imageSteps,
                       [.resize(size: 236), .horizontalFlip(probability: 0.5), .rotation(maxDegrees: 12),
                        .randomCrop(size: 224), jitter])
        XCTAssertEqual(try recipe(.rafdb, training: true).erasing, RandomErasing(probability: 0.5, scale: 0.02...0.1))
        XCTAssertEqual(try recipe(.ferplus, training: true).erasing, RandomErasing(probability: 0.5, scale: 0.02...0.1))
        XCTAssertEqual(try recipe(.affectnet, training: true).erasing, RandomErasing(probability: 0.5, scale: 0.03...0.1))
        XCTAssertEqual(try recipe(.affectnet, training: true).erasing?.ratio, 0.3...3.3)
    }

    func testRecipes_testSplitsAreDeterministicResizeAndCentreCrop() throws {
        XCTAssertEqual(try recipe(.rafdb, training: false).imageSteps, [.resize(size: 224)])
        XCTAssertEqual(try recipe(.ferplus, training: false).imageSteps, [.resize(size: 232), .centerCrop(size: 224)])
        XCTAssertEqual(try recipe(.affectnet, training: false).imageSteps, [.resize(size: 236), .centerCrop(size: 224)])
        for kind in AugmentationRecipe.Kind.allCases { XCTAssertNil(try recipe(kind, training: false).erasing) }
    }

    func testRecipes_scaleWithOutputSize() throws {
        XCTAssertEqual(try recipe(.ferplus, training: true, size: 112).imageSteps[0], .resize(size: 116))
        XCTAssertEqual(try recipe(.affectnet, training: false, size: 112).imageSteps, [.resize(size: 118), .centerCrop(size: 112)])
    }

    func testRecipe_rejectsNonPositiveSizeAndBadNormalisation() {
        XCTAssertThrowsError(try recipe(.rafdb, training: true, size: 0)) { error in
            XCTAssertEqual(error as? AugmentationError, .invalidOutputSize(0))
        }
        let bad = ImageNormalization(mean: [0.5, 0.5], std: [0.2, 0.2])
        XCTAssertThrowsError(try AugmentationRecipe(kind: .rafdb, options: .init(training: false, normalization: bad))) { error in
            XCTAssertEqual(error as? AugmentationError, .invalidNormalization(mean: bad.mean, std: bad.std))
        }
    }

    // MARK: - Reproducibility

    private func run(_ r: AugmentationRecipe, _ image: RGBImage, seed: UInt64, epoch: Int, sample: Int, branch: Int) -> [Float] {
        var rng = AugmentationRecipe.rng(seed: seed, epoch: epoch, sample: sample, branch: branch)
        var out = [Float](repeating: .nan, count: r.floatsPerImage)
        out.withUnsafeMutableBufferPointer { r.apply(to: image, &rng, into: $0) }
        return out
    }

    func testApply_sameKeySameOutput_otherKeysDiffer() throws {
        let r = try recipe(.affectnet, training: true, size: 24)
        let img = picture()
        let a = run(r, img, seed: 7, epoch: 2, sample: 5, branch: 1)
        XCTAssertFalse(a.contains { $0.isNaN }, "every output float is written")
        XCTAssertEqual(a, run(r, img, seed: 7, epoch: 2, sample: 5, branch: 1))
        XCTAssertNotEqual(a, run(r, img, seed: 7, epoch: 2, sample: 5, branch: 2))
        XCTAssertNotEqual(a, run(r, img, seed: 7, epoch: 3, sample: 5, branch: 1))
        XCTAssertNotEqual(a, run(r, img, seed: 7, epoch: 2, sample: 6, branch: 1))
        XCTAssertNotEqual(a, run(r, img, seed: 8, epoch: 2, sample: 5, branch: 1))
    }

    func testApply_testRecipeIgnoresTheGenerator() throws {
        let r = try recipe(.ferplus, training: false, size: 24)
        let img = picture()
        XCTAssertEqual(run(r, img, seed: 1, epoch: 0, sample: 0, branch: 0), run(r, img, seed: 2, epoch: 9, sample: 3, branch: 3))
        // And equals resize → centre crop → normalise done by hand.
        let expectedImage = img.resizedBilinear(size: 25).centerCropped(width: 24, height: 24)
        var expected = [Float](repeating: 0, count: r.floatsPerImage)
        expected.withUnsafeMutableBufferPointer { ImageNormalization.imageNet.write(expectedImage, into: $0) }
        XCTAssertEqual(run(r, img, seed: 1, epoch: 0, sample: 0, branch: 0), expected)
    }

    func testApply_intoBatchTensorWritesOnlyItsItem() throws {
        let r = try recipe(.rafdb, training: false, size: 8)
        let batch = Tensor(shape: [3, 3, 8, 8], generate: { -99 })
        var rng = SeededRNG(seed: 1)
        r.apply(to: picture(), &rng, into: batch, item: 1)
        let values = batch.array
        let per = r.floatsPerImage
        XCTAssertTrue(values[0..<per].allSatisfy { $0 == -99 })
        XCTAssertTrue(values[(2 * per)...].allSatisfy { $0 == -99 })
        XCTAssertFalse(values[per..<(2 * per)].contains(-99))
    }

    // MARK: - Random steps: distributions

    func testHorizontalFlip_firesAboutHalfTheTime() {
        let img = picture(width: 6, height: 3)
        var flips = 0
        for i in 0..<2000 {
            var rng = SeededRNG(seed: 3, purpose: .augmentation, keys: [UInt64(i)])
            if ImageAugmentation.horizontalFlip(probability: 0.5).apply(to: img, &rng) != img { flips += 1 }
        }
        XCTAssertEqual(Double(flips) / 2000, 0.5, accuracy: 0.04)
    }

    func testRandomCrop_coversEveryOffsetUniformly() {
        let img = picture(width: 12, height: 12)
        var seen = [Int: Int]()
        for i in 0..<4000 {
            var rng = SeededRNG(seed: 4, purpose: .augmentation, keys: [UInt64(i)])
            let crop = ImageAugmentation.randomCrop(size: 10).apply(to: img, &rng)
            XCTAssertEqual(crop.width, 10)
            // The red and green ramps (x·255/11, y·255/11) give the crop's top-left pixel back.
            let offX = Int((Double(crop.pixels[0]) * 11 / 255).rounded())
            let offY = Int((Double(crop.pixels[1]) * 11 / 255).rounded())
            seen[offY * 3 + offX, default: 0] += 1
        }
        XCTAssertEqual(seen.count, 9, "3x3 offsets for a 10 crop of 12")
        for (_, n) in seen { XCTAssertEqual(Double(n) / 4000, 1.0 / 9, accuracy: 0.03) }
    }

    func testRotation_anglesStayWithinRangeAndBothSignsOccur() {
        var rng = SeededRNG(seed: 5)
        var low = 0.0, high = 0.0
        for _ in 0..<1000 {
            let a = rng.uniformDouble(-12, 12)
            low = min(low, a); high = max(high, a)
        }
        XCTAssertLessThan(low, -11); XCTAssertGreaterThan(high, 11)
        XCTAssertGreaterThanOrEqual(low, -12); XCTAssertLessThan(high, 12)
        // A rotated image keeps its size and blacks out corners.
        let rotated = picture().rotated(degrees: 12)
        XCTAssertEqual(rotated.width, 40)
        XCTAssertEqual(Array(rotated.pixels[0..<3]), [0, 0, 0])
    }

    func testColorJitter_factorsInRangeAndEveryOrderPossible() {
        let j = ColorJitter(brightness: 0.2, contrast: 0.2, saturation: 0.2, hue: 0.1)
        var orders = Set<[Int]>()
        var rng = SeededRNG(seed: 6)
        for _ in 0..<3000 {
            let d = j.draw(&rng)
            orders.insert(d.order.map(\.rawValue))
            for f in [d.brightness, d.contrast, d.saturation] {
                XCTAssertNotNil(f); XCTAssertTrue((0.8..<1.2).contains(f ?? 0))
            }
            XCTAssertTrue((-0.1..<0.1).contains(d.hue ?? 1))
        }
        XCTAssertEqual(orders.count, 24, "all 4! orders occur")
        let off = ColorJitter(brightness: 0, contrast: 0, saturation: 0, hue: 0).draw(&rng)
        XCTAssertNil(off.brightness); XCTAssertNil(off.hue)
    }

    /// The draw is what is applied: applying the ops one by one in the drawn order gives the same image.
    func testColorJitter_appliesTheDrawnOrder() {
        let j = ColorJitter(brightness: 0.2, contrast: 0.2, saturation: 0.2, hue: 0.1)
        var rng = SeededRNG(seed: 9)
        let img = picture()
        for _ in 0..<5 {
            let d = j.draw(&rng)
            var manual = img
            for op in d.order {
                switch op {
                case .brightness: manual = manual.adjustingBrightness(d.brightness!)
                case .contrast: manual = manual.adjustingContrast(d.contrast!)
                case .saturation: manual = manual.adjustingSaturation(d.saturation!)
                case .hue: manual = manual.adjustingHue(d.hue!)
                }
            }
            XCTAssertEqual(j.apply(d, to: img), manual)
        }
    }

    func testRandomErasing_probabilityAreaAndAspectWithinTheRecipe() {
        let e = RandomErasing(probability: 0.5, scale: 0.02...0.1)
        var erased = 0
        let side = 56, trials = 3000
        for i in 0..<trials {
            var rng = SeededRNG(seed: 10, purpose: .augmentation, keys: [UInt64(i)])
            guard let r = e.draw(height: side, width: side, &rng) else { continue }
            erased += 1
            let area = Double(r.height * r.width) / Double(side * side)
            // Rounding the sides to whole pixels can move the area a little past the range.
            XCTAssertGreaterThan(area, 0.02 * 0.7); XCTAssertLessThan(area, 0.1 * 1.3)
            let aspect = Double(r.height) / Double(r.width)
            XCTAssertGreaterThan(aspect, 0.3 * 0.6); XCTAssertLessThan(aspect, 3.3 / 0.6)
            XCTAssertTrue(r.top >= 0 && r.left >= 0 && r.top + r.height <= side && r.left + r.width <= side)
        }
        XCTAssertEqual(Double(erased) / Double(trials), 0.5, accuracy: 0.04)
    }

    func testRandomErasing_zeroesTheRegionInAllChannelsOnly() {
        var buffer = [Float](repeating: 1, count: 3 * 5 * 6)
        let region = RandomErasing.Region(top: 1, left: 2, height: 2, width: 3)
        buffer.withUnsafeMutableBufferPointer { RandomErasing.erase(region, in: $0, channels: 3, height: 5, width: 6) }
        for c in 0..<3 {
            for y in 0..<5 {
                for x in 0..<6 {
                    let inside = (1..<3).contains(y) && (2..<5).contains(x)
                    XCTAssertEqual(buffer[(c * 5 + y) * 6 + x], inside ? 0 : 1)
                }
            }
        }
    }

    func testDescription_listsTheStepsInOrder() throws {
        let d = try recipe(.ferplus, training: true).description
        XCTAssertTrue(d.hasPrefix("ferplus train: resize(232) → horizontalFlip(p: 0.5) → rotation(±10.0°) → randomCrop(224)"), d)
        XCTAssertTrue(d.hasSuffix("randomErasing(p: 0.5, scale: 0.02–0.1, ratio: 0.3–3.3)"), d)
    }
}
