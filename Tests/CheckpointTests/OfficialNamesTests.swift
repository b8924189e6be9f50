import Checkpoint
import XCTest

final class OfficialNamesTests: XCTestCase {
    func testOfficialName_renameRules() {
        let cases: [(String, String, [OfficialNames.RenameRule])] = [
            ("conv1.weight", "conv1.weight", []),
            ("module.conv1.weight", "conv1.weight", [.dataParallelPrefix]),
            ("module.module.VIT_base.cls_token", "VIT_base.cls_token", [.dataParallelPrefix]),
            ("input_layer.0.weight", "ir_back.input_layer.0.weight", [.bareBackbone]),
            ("body1.0.res_layer.1.weight", "ir_back.body1.0.res_layer.1.weight", [.bareBackbone]),
            ("module.body3.2.shortcut_layer.1.running_mean", "ir_back.body3.2.shortcut_layer.1.running_mean",
             [.dataParallelPrefix, .bareBackbone]),
            ("embed_1.0.weight", "embed_q.0.weight", [.oldEmbeddingNames]),
            ("embed_2.0.bias", "embed_k.0.bias", [.oldEmbeddingNames]),
            ("module.embed_3.proj.weight", "embed_v.proj.weight", [.dataParallelPrefix, .oldEmbeddingNames]),
            // Only whole leading components are renamed.
            ("ir_back.body1.0.res_layer.1.weight", "ir_back.body1.0.res_layer.1.weight", []),
            ("VIT_base.embed_1.weight", "VIT_base.embed_1.weight", []),
            ("body10.weight", "body10.weight", []),
        ]
        for (key, name, rules) in cases {
            let renamed = OfficialNames.officialName(forFileKey: key)
            XCTAssertEqual(renamed.name, name, key)
            XCTAssertEqual(renamed.rules, rules, key)
        }
    }

    func testIsNeverUsed_onlyTheDeclaredButUnusedModules() {
        for name in ["ir_back.output_layer.3.weight", "ir_back.body4.2.res_layer.4.running_var",
                     "VIT_base.patch_embed.proj.bias", "VIT_cross.eca_block.conv.weight", "VIT_base.CON1.weight",
                     "VIT_cross.IRLinear1.weight", "VIT_base.IRLinear2.bias", "VIT_base.blocks.1.conv.weight",
                     "VIT_cross.blocks.0.conv.bias"] {
            XCTAssertTrue(OfficialNames.isNeverUsed(name), name)
        }
        for name in ["conv1.weight", "ir_back.body3.13.res_layer.1.weight", "VIT_base.blocks.0.attn.qkv.weight",
                     "VIT_base.blocks.conv.weight", "embed_v.proj.weight", "cross_attention_1.proj.weight",
                     "VIT_base.pos_embed", "ir_back.output_layerX.weight", "VIT_base.head.linear.weight"] {
            XCTAssertFalse(OfficialNames.isNeverUsed(name), name)
        }
    }

    func testIsInference_basePathOnly() {
        for name in ["ir_back.input_layer.0.weight", "conv3.bias", "embed_q.1.weight", "VIT_base.se_block.linear1.weight"] {
            XCTAssertTrue(OfficialNames.isInference(name), name)
        }
        for name in ["cross_attention_2.theta", "VIT_cross.cls_token", "conv10.weight", "VIT_base_extra.weight"] {
            XCTAssertFalse(OfficialNames.isInference(name), name)
        }
    }
}
