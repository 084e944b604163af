package io.wasminference.jobs;

import io.wasminference.errors.WasmInferenceException;
import io.wasminference.jobs.cli.CommandFailure;
import io.wasminference.jobs.cli.UsageErrors;
import io.wasminference.jobs.cli.UsageException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.NoSuchFileException;
import java.util.Arrays;
import java.util.concurrent.Callable;

/**
 * Entry point of the command-line tool and of the job jar: one picocli {@link Command} per subcommand. Exit codes:
 * 0 success, 1 a job or check that ran and failed, 2 refused (bad model, missing topic or file), 64 a usage error
 * (printed with the command's usage, no stack trace). Every command takes {@code --help}; {@code help COMMAND} too.
 */
public final class Main {
    static final int USAGE_ERROR = 64;
    /** How the usage texts name the program. */
    static final String PROGRAM = "java -jar wasm-inference-jobs.jar";
    /** Width of the usage texts (fixed, so README's copy of them does not depend on a terminal). */
    static final int USAGE_WIDTH = 110;

    private Main() {}

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("run") && !RunCommand.isLocal()) {
            // Submitted with `flink run`, over REST or in application mode, main() runs inside Flink's client or
            // JobManager: System.exit there would take the JobManager down. Fail by exception instead.
            int code = run(args, System.out, System.err);
            if (code != 0) {
                throw new IllegalStateException("wasm-inference run failed (exit code " + code + "); see above");
            }
            return;
        }
        System.exit(run(args, System.out, System.err));
    }

    /** Runs one command line; returns the exit code. Unexpected exceptions propagate. */
    static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        CommandLine tool = commandLine(out, err);
        ParseResult parsed;
        try {
            parsed = tool.parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            if (Arrays.stream(args).anyMatch(a -> a.equals("--help") || a.equals("-h"))) {
                e.getCommandLine().usage(out); // --help wins over mistakes elsewhere on the line
                return 0;
            }
            return usageError(e.getCommandLine(), UsageErrors.message(e, args), err);
        }
        if (CommandLine.printHelpIfRequested(parsed)) {
            return 0;
        }
        ParseResult leaf = parsed;
        while (leaf.hasSubcommand()) {
            leaf = leaf.subcommand();
        }
        CommandLine command = leaf.commandSpec().commandLine();
        if (!(leaf.commandSpec().userObject() instanceof Callable<?> callable)) { // a group such as `meta`
            return usageError(command, "missing command: " + String.join(" or ", command.getSubcommands().keySet()),
                    err);
        }
        try {
            return (Integer) callable.call();
        } catch (UsageException e) {
            return usageError(command, e.getMessage(), err);
        } catch (WasmInferenceException e) {
            err.println("error (" + e.kind() + "): " + e.getMessage());
            return CommandFailure.REFUSED;
        } catch (CommandFailure e) {
            err.println("error: " + e.getMessage());
            return e.exitCode();
        } catch (NoSuchFileException e) {
            err.println("error: no such file: " + e.getFile());
            return CommandFailure.REFUSED;
        }
    }

    private static int usageError(CommandLine command, String message, PrintStream err) {
        err.println("error: " + message);
        err.println();
        command.usage(err);
        return USAGE_ERROR;
    }

    /** The tool's commands, printing to {@code out} (results, help) and {@code err} (errors). */
    static CommandLine commandLine(PrintStream out, PrintStream err) {
        CommandLine tool = new CommandLine(new Tool(out))
                .addSubcommand(new DemoCommand(out))
                .addSubcommand(RunCommand.commandLine(out))
                .addSubcommand(new CompileCommand(out))
                .addSubcommand(new InspectCommand(out))
                .addSubcommand(new PredictCommand(out))
                .addSubcommand(new ProduceCommand(out))
                .addSubcommand(new ConsumeCommand(out))
                .addSubcommand(new SqlCommand(out))
                .addSubcommand(new PublishCommand(out))
                .addSubcommand(new ModelsCommand(out))
                .addSubcommand(new KeygenCommand(out))
                .addSubcommand(new CommandLine(new MetaCommand())
                        .addSubcommand(new MetaCommand.Attach(out))
                        .addSubcommand(new MetaCommand.Show(out)))
                .addSubcommand(new CommandLine.HelpCommand());
        configure(tool);
        // Set last: these reach only the subcommands added so far.
        tool.setOut(new PrintWriter(out, true));
        tool.setErr(new PrintWriter(err, true));
        tool.setUsageHelpWidth(USAGE_WIDTH);
        tool.setUsageHelpLongOptionsMaxWidth(36);
        // An option given twice takes its last value (scripts append overrides to a default command line).
        tool.setOverwrittenOptionsAllowed(true);
        return tool;
    }

    /** The same usage layout on every command, and {@code -h, --help} on every command but {@code help} itself. */
    private static void configure(CommandLine command) {
        CommandSpec spec = command.getCommandSpec();
        if (!spec.helpCommand()) {
            spec.addOption(OptionSpec.builder("-h", "--help").usageHelp(true)
                    .description("print this help and exit").build());
        }
        spec.usageMessage()
                .sortOptions(false) // as declared, --help last
                .synopsisHeading("usage: ")
                .descriptionHeading("%n")
                .parameterListHeading("%narguments:%n")
                .optionListHeading("%noptions:%n")
                .commandListHeading("%ncommands:%n");
        command.getSubcommands().values().forEach(Main::configure);
    }

    /** The program itself: without a command it prints the list of commands. */
    @Command(name = PROGRAM,
            description = {
                "Streaming inference with WebAssembly models in a sandbox: the demo, the Kafka job, and tools to "
                    + "compile, inspect, try and publish models.",
                "",
                "COMMAND --help prints a command's options."},
            synopsisSubcommandLabel = "COMMAND")
    static final class Tool implements Callable<Integer> {
        private final PrintStream out;

        Tool(PrintStream out) {
            this.out = out;
        }

        @CommandLine.Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            spec.commandLine().usage(out);
            return USAGE_ERROR;
        }
    }
}
