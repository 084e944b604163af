package io.wasminference.jobs.arch;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.apache.flink.annotation.Experimental;
import org.apache.flink.annotation.Public;
import org.apache.flink.annotation.PublicEvolving;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/**
 * The jobs (the Kafka job, the demo, the tool's commands) are clients of the library like a user's job: they use the
 * operator, runtime, model and format classes through their public API ({@code @Public}, {@code @PublicEvolving},
 * {@code @Experimental}) only, so an {@code @Internal} class can change without breaking them.
 */
class PublicApiTest {

    private static final DescribedPredicate<JavaClass> LIBRARY_BUT_NOT_PUBLIC_API =
            new DescribedPredicate<>("library classes outside the public API") {
                @Override
                public boolean test(JavaClass c) {
                    JavaClass top = c;
                    while (top.getEnclosingClass().isPresent()) {
                        top = top.getEnclosingClass().get();
                    }
                    String pkg = top.getPackageName();
                    if (!pkg.startsWith("io.wasminference.") || pkg.startsWith("io.wasminference.jobs")) {
                        return false;
                    }
                    return !(top.isAnnotatedWith(Public.class) || top.isAnnotatedWith(PublicEvolving.class)
                            || top.isAnnotatedWith(Experimental.class));
                }
            };

    @Test
    void jobsUseTheLibraryThroughItsPublicApiOnly() {
        JavaClasses jobs = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.wasminference.jobs");
        noClasses().should().dependOnClassesThat(LIBRARY_BUT_NOT_PUBLIC_API).check(jobs);
    }
}
