// Extending bb end to end: bbc accepts ops of custom domains (a BB031 note) and checks
// them against an op manifest (--ops: BB017, BB003, manifest errors); bbrun loads
// kernel plugins (--plugin, `plugins` in a deployment) and refuses bad ones with exit 1
// and the library's name.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "../support/tool_run.h"

namespace bb::testing {
namespace {

namespace fs = std::filesystem;

const std::string kExample = EXAMPLE_DIR;
const std::string kPlugins = PLUGIN_DIR;
const std::string kClippedSum = kPlugins + "/libbb_test_plugin_clipped_sum.so";

class Extending : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("bb_extending_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  ToolRun run(const std::string& tool, const std::string& args) {
    return run_captured("timeout 60 " + tool + " " + args, dir_);
  }
  ToolRun bbc(const std::string& args) { return run(BBC_PATH, args); }
  ToolRun bbrun(const std::string& args) { return run(BBRUN_PATH, args); }
  std::string write(const std::string& name, const std::string& text) {
    const fs::path p = dir_ / name;
    std::ofstream(p) << text;
    return p.string();
  }
  // The example graph compiled into the test folder.
  std::string compiled_example() {
    const std::string out = (dir_ / "clipped_sum.bb").string();
    const auto r = bbc("compile " + kExample + "/clipped_sum.onnxtxt -o " + out);
    EXPECT_EQ(r.code, 0) << r.err;
    return out;
  }
  // A graph with one com.example node: `node` is its text (inputs x and tick exist).
  std::string graph(const std::string& node, const std::string& imports = R"("com.example" : 1, )") {
    return write("g.onnxtxt", "<\n  ir_version: 8,\n  opset_import: [" + imports +
                                  "\"ai.bytesandbrains.syscall\" : 1]\n>\n"
                                  "g (float[3] x = {1.0, 2.0, 3.0}) => () {\n"
                                  "  tick = ai.bytesandbrains.syscall.Interval<period_ns = 1000000>()\n  " +
                                  node + "\n}\n");
  }
  fs::path dir_;
};

const std::string kManifest = " --ops " + kExample + "/ops.toml";

// ---- bbc: custom domains ---------------------------------------------------------------

TEST_F(Extending, CompileAcceptsACustomOpWithANote) {
  const auto r = bbc("compile " + kExample + "/clipped_sum.onnxtxt -o " + (dir_ / "a.bb").string());
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("note BB031: 1 node uses ops of custom domains: com.example::ClippedSum (1 node) [hint: "
                       "pass an op manifest with --ops FILE"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("error"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::exists(dir_ / "a.bb"));
}

TEST_F(Extending, NoteCountsNodesPerOpSorted) {
  const auto g = graph(
      "a = com.example.Zeta(x, tick)\n  b = com.example.Alpha(a)\n  c = com.example.Zeta(b)\n"
      "  = ai.bytesandbrains.syscall.Log<message = \"c\">(c)");
  const auto r = bbc("lint " + g);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("note BB031: 3 nodes use ops of custom domains: com.example::Alpha (1 node), "
                       "com.example::Zeta (2 nodes)"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("0 errors, 0 warnings"), std::string::npos) << r.err;
}

TEST_F(Extending, LintJsonAndSarifCarryTheNote) {
  const auto g = kExample + "/clipped_sum.onnxtxt";
  const auto json = bbc("lint --format json " + g);
  EXPECT_EQ(json.code, 0) << json.err;
  EXPECT_NE(json.out.find("\"BB031\""), std::string::npos) << json.out;
  EXPECT_NE(json.out.find("com.example::ClippedSum (1 node)"), std::string::npos) << json.out;
  const auto sarif = bbc("lint --format sarif " + g);
  EXPECT_EQ(sarif.code, 0) << sarif.err;
  EXPECT_NE(sarif.out.find("\"ruleId\": \"BB031\""), std::string::npos) << sarif.out;
  EXPECT_NE(sarif.out.find("\"level\": \"note\""), std::string::npos) << sarif.out;
}

TEST_F(Extending, CustomOpsAreStillCheckedForStructure) {
  const auto r = bbc("lint " + graph("y = com.example.Scale(x, nowhere)\n  y = com.example.Scale(x, tick)"));
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("error BB004: input 'nowhere' is never produced"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("error BB005: value 'y' is already produced"), std::string::npos) << r.err;
  const auto cycle = bbc("lint " + graph("a = com.example.F(x, b)\n  b = com.example.G(a)"));
  EXPECT_EQ(cycle.code, 1) << cycle.err;
  EXPECT_NE(cycle.err.find("error BB006"), std::string::npos) << cycle.err;
}

TEST_F(Extending, ACustomDomainMustBeImported) {
  const auto r = bbc("lint " + graph("y = com.example.Scale(x, tick)", ""));
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("error BB002: domain 'com.example' of op 'Scale' has no opset_import entry"),
            std::string::npos)
      << r.err;
}

TEST_F(Extending, CompiledGraphKeepsItsGatesAndCustomOpUnchanged) {
  const auto out = compiled_example();
  const auto r = bbc("inspect " + out);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("  com.example 1\n"), std::string::npos) << r.out;
  // Lint of the compiled output: the same note, no contract findings.
  const auto lint = bbc("lint " + out);
  EXPECT_EQ(lint.code, 0) << lint.err;
  EXPECT_NE(lint.err.find("note BB031"), std::string::npos) << lint.err;
}

// ---- bbc: the op manifest --------------------------------------------------------------

TEST_F(Extending, ManifestAcceptsTheExampleAndChangesTheHint) {
  const auto r = bbc("compile " + kExample + "/clipped_sum.onnxtxt -o " + (dir_ / "a.bb").string() + kManifest);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("note BB031: 1 node uses ops of custom domains: com.example::ClippedSum (1 node) [hint: "
                       "bbrun needs their kernels"),
            std::string::npos)
      << r.err;
}

TEST_F(Extending, ManifestChecksArityAndAttributes) {
  const auto missing = bbc("lint " + graph("y = com.example.ClippedSum<limit = 1.0>(x, tick)") + kManifest);
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.err.find("error BB017: ClippedSum needs attribute 'factor' (FLOAT)"), std::string::npos)
      << missing.err;
  const auto typed = bbc("lint " + graph("y = com.example.ClippedSum<factor = 2>(x, tick)") + kManifest);
  EXPECT_NE(typed.err.find("error BB017: attribute 'factor' of ClippedSum has type INT, expected FLOAT"),
            std::string::npos)
      << typed.err;
  const auto unknown =
      bbc("lint " + graph("y = com.example.ClippedSum<factor = 2.0, clip = 1.0>(x, tick)") + kManifest);
  EXPECT_NE(unknown.err.find("error BB017: attribute 'clip' of ClippedSum is not in the op manifest"),
            std::string::npos)
      << unknown.err;
  const auto arity = bbc("lint " + graph("y, z = com.example.ClippedSum<factor = 2.0>(x, tick)") + kManifest);
  EXPECT_NE(arity.err.find("error BB017: ClippedSum takes 1 outputs, this node has 2"), std::string::npos)
      << arity.err;
  const auto no_inputs = bbc("lint " + graph("y = com.example.ClippedSum<factor = 2.0>()") + kManifest);
  EXPECT_NE(no_inputs.err.find("error BB017: ClippedSum takes at least 1 inputs, this node has 0"),
            std::string::npos)
      << no_inputs.err;
}

TEST_F(Extending, ManifestDomainWithAnUndeclaredOpIsBB003WithoutOnnxWording) {
  const auto r = bbc("lint " + graph("y = com.example.Scale(x, tick)") + kManifest);
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("error BB003: unknown op 'Scale' in domain 'com.example' (the op manifest " + kExample +
                       "/ops.toml declares the domain but not this op)"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("ONNX schema registry"), std::string::npos) << r.err;
  // Another custom domain, not in the manifest: still only a note.
  const auto other = bbc("lint " + graph("y = org.other.Scale(x, tick)", R"("org.other" : 1, )") + kManifest);
  EXPECT_EQ(other.code, 0) << other.err;
  EXPECT_NE(other.err.find("org.other::Scale (1 node)"), std::string::npos) << other.err;
}

TEST_F(Extending, ManifestErrorsNameFileLineAndKey) {
  struct Case {
    std::string text, expect;
  };
  const Case cases[] = {
      {"[[op]]\ndomain = \"com.example\"\nop_type = \"A\"\ninputs = \"two\"\noutputs = 1\n",
       ":4: op[0].inputs: expected an integer or a table { min = N, max = M }"},
      {"[[op]]\ndomain = \"com.example\"\nop_type = \"A\"\ninputs = 1\noutputs = 1\ncolour = \"red\"\n",
       ":6: op[0].colour: unknown key"},
      {"[[op]]\ndomain = \"com.example\"\nop_type = \"A\"\ninputs = 1\n", ":1: op[0].outputs: missing"},
      {"[[op]]\ndomain = \"com.example\"\nop_type = \"A\"\ninputs = { min = 2, max = 1 }\noutputs = 1\n",
       ":4: op[0].inputs.max: is below min (2)"},
      {"[[op]]\ndomain = \"com.example\"\nop_type = \"A\"\ninputs = 1\noutputs = 1\n[[op.attribute]]\nname = "
       "\"k\"\ntype = \"floaty\"\n",
       ":8: op[0].attribute[0].type: expected an ONNX attribute type"},
      {"[[op]]\ndomain = \"ai.onnx\"\nop_type = \"Relu\"\ninputs = 1\noutputs = 1\n",
       ":2: op[0].domain: 'ai.onnx' is ONNX's or bb's"},
      {"[[op]]\ndomain = \"com.example\"\nop_type = \"A\"\ninputs = 1\noutputs = 1\n[[op]]\ndomain = "
       "\"com.example\"\nop_type = \"A\"\ninputs = 1\noutputs = 1\n",
       ":6: op[1].op_type: (com.example, A) is declared twice"},
      {"[[op]\n", ":1: not valid TOML"},
  };
  const auto g = kExample + "/clipped_sum.onnxtxt";
  for (const auto& c : cases) {
    const auto path = write("ops.toml", c.text);
    for (const std::string& cmd : {std::string("lint "), "compile -o " + (dir_ / "x.bb").string() + " "}) {
      const auto r = bbc(cmd + g + " --ops " + path);
      EXPECT_EQ(r.code, 2) << cmd << c.text << r.err;
      EXPECT_NE(r.err.find("bbc: error: " + path + c.expect), std::string::npos) << c.text << "\n" << r.err;
    }
    EXPECT_FALSE(fs::exists(dir_ / "x.bb"));
  }
  const auto missing = bbc("lint " + g + " --ops " + (dir_ / "nope.toml").string());
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.err.find("nope.toml: cannot read the op manifest"), std::string::npos) << missing.err;
}

// ---- bbrun: plugins ----------------------------------------------------------------------

TEST_F(Extending, PluginRunsTheCustomOp) {
  const auto bb = compiled_example();
  const auto r = bbrun(bb + " --plugin " + kClippedSum + " --virtual-time --peer id:alice");
  EXPECT_EQ(r.code, 0) << r.err;
  // factor 2.5 on {1, 2, 3}, clipped to 10, over four executions.
  for (const char* line : {"2.5, 5, 7.5", "5, 10, 10", "7.5, 10, 10", "10, 10, 10"})
    EXPECT_NE(r.err.find(line), std::string::npos) << line << "\n" << r.err;
}

TEST_F(Extending, WithoutThePluginTheGraphDoesNotLoad) {
  const auto r = bbrun(compiled_example() + " --virtual-time");
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("no kernel for 'com.example::ClippedSum'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--plugin LIB loads more"), std::string::npos) << r.err;
}

TEST_F(Extending, ListOpsShowsEachOrigin) {
  const auto r = bbrun("--plugin " + kClippedSum + " --list-ops");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("com.example\tClippedSum\tcompute\t" + kClippedSum + "\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ai.bytesandbrains.syscall\tLog\teffect\tbuilt-in\n"), std::string::npos) << r.out;
}

TEST_F(Extending, BadPluginsStopBbrunNamingTheLibrary) {
  struct Case {
    std::string lib, expect;
  };
  const Case cases[] = {
      {"wrong_abi", ": built against bb kernel ABI 4, this bbrun has ABI 3 (rebuild the plugin against this bb)"},
      {"no_abi", ": not a bb kernel plugin: it does not export bb_kernel_abi_version()"},
      {"throws", ": a static initializer of the kernel plugin threw: boom in a static initializer"},
      {"duplicate", ": the plugin registers (ai.bytesandbrains.syscall, PassThrough), which built-in registers already"},
  };
  for (const auto& c : cases) {
    const std::string lib = kPlugins + "/libbb_test_plugin_" + c.lib + ".so";
    for (const std::string& rest : {std::string("--list-ops"), compiled_example() + " --virtual-time"}) {
      const auto r = bbrun("--plugin " + kClippedSum + " --plugin " + lib + " " + rest);
      EXPECT_EQ(r.code, 1) << c.lib << "\n" << r.err;
      EXPECT_NE(r.err.find(lib + c.expect), std::string::npos) << r.err;
      EXPECT_TRUE(r.out.empty()) << r.out;  // nothing listed, nothing run
    }
  }
  const auto missing = bbrun("--plugin " + (dir_ / "libmissing.so").string() + " --list-ops");
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.err.find((dir_ / "libmissing.so").string() + ": cannot load the kernel plugin"),
            std::string::npos)
      << missing.err;
}

TEST_F(Extending, DeploymentLoadsPluginsRelativeToTheFile) {
  const auto bb = compiled_example();
  fs::copy_file(kClippedSum, dir_ / "libclipped.so");
  const auto deploy = write("deploy.toml",
                            "[run]\nduration = \"1s\"\nseed = 1\n\n[[node]]\npeer = \"id:alice\"\ngraph = "
                            "\"clipped_sum.bb\"\nplugins = [\"libclipped.so\"]\n");
  const auto r = bbrun("--sim " + deploy);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("10, 10, 10"), std::string::npos) << r.err;
  const auto bad = write("bad.toml",
                         "[[node]]\npeer = \"id:alice\"\ngraph = \"clipped_sum.bb\"\nplugins = [\"libnone.so\"]\n");
  const auto refused = bbrun("--sim " + bad);
  EXPECT_EQ(refused.code, 1) << refused.err;
  EXPECT_NE(refused.err.find((dir_ / "libnone.so").string() + ": cannot load the kernel plugin"), std::string::npos)
      << refused.err;
}

}  // namespace
}  // namespace bb::testing
