package io.wasminference.jobs;

import io.wasminference.errors.WasmInferenceException;
import io.wasminference.jobs.cli.Args;
import io.wasminference.jobs.cli.CommandFailure;

import java.io.PrintStream;
import java.nio.file.NoSuchFileException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Entry point of {@code wasm-inference-jobs.jar}: dispatches to the subcommands. Exit codes: 0 success, 1 a job
 * or check that ran and failed, 2 refused (bad model, missing topic or file), 64 a usage error (with the usage).
 * Every command takes {@code --help}.
 */
public final class Main {
    static final int USAGE_ERROR = 64;
    private static final String PROGRAM = "java -jar wasm-inference-jobs.jar";

    /** A subcommand: its usage text and what runs it. */
    private record Command(String usage, Runner runner) {}

    @FunctionalInterface
    private interface Runner {
        int run(String[] args, PrintStream out) throws Exception;
    }

    private static final Map<String, Command> COMMANDS = new LinkedHashMap<>();

    static {
        COMMANDS.put("demo", new Command(DemoCommand.USAGE, DemoCommand::run));
        COMMANDS.put("run", new Command(RunCommand.USAGE, RunCommand::run));
        COMMANDS.put("compile", new Command(CompileCommand.USAGE, CompileCommand::run));
        COMMANDS.put("inspect", new Command(InspectCommand.USAGE, InspectCommand::run));
        COMMANDS.put("predict", new Command(PredictCommand.USAGE, PredictCommand::run));
        COMMANDS.put("produce", new Command(ProduceCommand.USAGE, ProduceCommand::run));
        COMMANDS.put("consume", new Command(ConsumeCommand.USAGE, ConsumeCommand::run));
        COMMANDS.put("publish", new Command(PublishCommand.USAGE, PublishCommand::publish));
        COMMANDS.put("models", new Command(PublishCommand.USAGE, PublishCommand::list));
        COMMANDS.put("keygen", new Command(KeygenCommand.USAGE, KeygenCommand::run));
        COMMANDS.put("meta", new Command(MetaCommand.USAGE, MetaCommand::run));
    }

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

    static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        if (args.length == 0 || isHelp(args[0]) || args[0].equals("help")) {
            if (args.length > 1 && COMMANDS.containsKey(args[1])) {
                out.println(usage(COMMANDS.get(args[1]))); // help COMMAND
                return 0;
            }
            out.println(usage());
            return args.length == 0 ? USAGE_ERROR : 0;
        }
        Command command = COMMANDS.get(args[0]);
        if (command == null) {
            err.println("error: unknown command '" + args[0] + "'");
            err.println();
            err.println(usage());
            return USAGE_ERROR;
        }
        if (Arrays.stream(args, 1, args.length).anyMatch(Main::isHelp)) {
            out.println(usage(command));
            return 0;
        }
        try {
            return command.runner().run(args, out);
        } catch (Args.UsageException e) {
            err.println("error: " + e.getMessage());
            err.println();
            err.println(usage(command));
            return USAGE_ERROR;
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

    private static boolean isHelp(String arg) {
        return arg.equals("--help") || arg.equals("-h");
    }

    private static String usage(Command command) {
        return "usage: " + PROGRAM + " " + command.usage();
    }

    static String usage() {
        StringBuilder sb = new StringBuilder("usage: " + PROGRAM + " COMMAND ... (COMMAND --help for its options)\n\n");
        COMMANDS.forEach((name, c) -> {
            if (!name.equals("models")) { // its usage is publish's
                sb.append("  ").append(c.usage()).append('\n');
            }
        });
        return sb.toString();
    }
}
