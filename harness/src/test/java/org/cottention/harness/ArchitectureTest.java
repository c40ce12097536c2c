package org.cottention.harness;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The dependency rules of docs/architecture.md, checked on the compiled main classes of every module (the
 * harness's test class path holds them all). A rule here fails when a module or package gains a dependency the
 * document forbids; change the document first, then the rule.
 */
class ArchitectureTest {
    private static JavaClasses classes;

    @BeforeAll
    static void load() {
        // Main classes only: not this module's test classes, nor the test-jars other modules' tests share.
        ImportOption mainOnly = location -> !location.contains("/test-classes/") && !location.contains("-tests.jar");
        classes = new ClassFileImporter().withImportOption(mainOnly).importPackages("org.cottention");
    }

    @Test
    void everyModuleIsImported() {
        for (String c : new String[] {"org.cottention.reference.StabilizerExponent", "org.cottention.api.Attention",
            "org.cottention.kernels.RawArray", "org.cottention.cuda.CudaRuntime",
            "org.cottention.cosine.ChunkedCausalCosineAttention", "org.cottention.softmax.SoftmaxAttention",
            "org.cottention.models.GptJ", "org.cottention.harness.Main"}) {
            org.junit.jupiter.api.Assertions.assertTrue(classes.contain(c), c + " not imported: the rules would check nothing");
        }
        org.junit.jupiter.api.Assertions.assertFalse(classes.contain("org.cottention.kernels.OneThread"), "test classes imported");
    }

    @Test
    void referenceDependsOnNothing() {
        noClasses().that().resideInAPackage("org.cottention.reference..")
                .should().dependOnClassesThat().resideOutsideOfPackages("org.cottention.reference..", "java..")
                .because("the oracle is plain Java: obviously right, and shared by nothing it could break")
                .check(classes);
    }

    @Test
    void theContractHoldsNoKernelsAndNoCuda() {
        noClasses().that().resideInAPackage("org.cottention.api..")
                .should().dependOnClassesThat().resideOutsideOfPackages("org.cottention.api..",
                        "org.cottention.reference..", "org.nd4j..", "java..")
                .because("models see only the contract: Attention, its inputs and gradients, decoding states, capabilities")
                .check(classes);
    }

    @Test
    void modelsDependOnTheContractAndTheCpuKernelsOnly() {
        noClasses().that().resideInAPackage("org.cottention.models..")
                .should().dependOnClassesThat().resideOutsideOfPackages("org.cottention.models..", "org.cottention.api..",
                        "org.cottention.kernels..", "org.nd4j..", "java..")
                .because("the softmax and cosine models share every line: what differs is the Attention they hold")
                .check(classes);
    }

    @Test
    void modelsNeverAskForTheAttentionsKind() {
        noClasses().that().resideInAnyPackage("org.cottention.models..", "org.cottention.harness.experiment..",
                        "org.cottention.harness.bench..", "org.cottention.harness.train..")
                .should().callMethod(org.cottention.api.Attention.class, "kind")
                .because("an attention declares what differs as a capability (StabilisedAttention, ProbabilityDropout, "
                        + "TruncatableState); models, experiments and benchmarks do not branch on its kind")
                .check(classes);
    }

    @Test
    void experimentsAndBenchmarksReachAttentionsThroughTheRegistry() {
        noClasses().that().resideInAnyPackage("org.cottention.harness.experiment..", "org.cottention.harness.bench..",
                        "org.cottention.harness.train..", "org.cottention.harness.data..")
                .should().dependOnClassesThat().resideInAnyPackage("org.cottention.cosine..", "org.cottention.softmax..")
                .because("AttentionRegistry is the one list of implementations; what is added there is run everywhere")
                .check(classes);
    }

    @Test
    void kernelsKnowOnlyTheContract() {
        noClasses().that().resideInAPackage("org.cottention.kernels..")
                .should().dependOnClassesThat().resideOutsideOfPackages("org.cottention.kernels..", "org.cottention.api..",
                        "org.nd4j..", "org.bytedeco..", "java..", "jdk.incubator.vector..")
                .check(classes);
    }

    @Test
    void theCudaRuntimeKnowsOnlyJCuda() {
        noClasses().that().resideInAPackage("org.cottention.cuda..")
                .should().dependOnClassesThat().resideOutsideOfPackages("org.cottention.cuda..", "jcuda..", "java..")
                .because("the GPU pack runs it without ND4J")
                .check(classes);
    }

    @Test
    void cosineAndSoftmaxAreIndependent() {
        noClasses().that().resideInAPackage("org.cottention.cosine..")
                .should().dependOnClassesThat().resideInAnyPackage("org.cottention.softmax..", "org.cottention.models..",
                        "org.cottention.harness..")
                .check(classes);
        noClasses().that().resideInAPackage("org.cottention.softmax..")
                .should().dependOnClassesThat().resideInAnyPackage("org.cottention.cosine..", "org.cottention.models..",
                        "org.cottention.harness..", "org.cottention.reference..")
                .check(classes);
    }

    @Test
    void onlyTheHarnessDependsOnTheHarness() {
        noClasses().that().resideOutsideOfPackage("org.cottention.harness..")
                .should().dependOnClassesThat().resideInAPackage("org.cottention.harness..")
                .check(classes);
    }

    @Test
    void harnessPackagesHaveNoCycles() {
        slices().matching("org.cottention.harness.(*)..").should().beFreeOfCycles().check(classes);
    }

    @Test
    void onlyTheCommandLineDependsOnCommands() {
        noClasses().that().resideOutsideOfPackage("org.cottention.harness.cli..").and()
                .doNotHaveFullyQualifiedName("org.cottention.harness.Main")
                .should().dependOnClassesThat().resideInAPackage("org.cottention.harness.cli..")
                .check(classes);
    }
}
