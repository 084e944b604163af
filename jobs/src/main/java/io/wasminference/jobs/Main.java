package io.wasminference.jobs;

import io.wasminference.errors.WasmInferenceException;
import io.wasminference.jobs.cli.Args;

import java.io.PrintStream;

/** Entry point of {@code wasm-inference-jobs.jar}: dispatches to the subcommands. */
public final class Main {
    private Main() {}

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("run")) {
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
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
            out.println(usage());
            return args.length == 0 ? 64 : 0;
        }
        try {
            return switch (args[0]) {
                case "inspect" -> InspectCommand.run(args, out);
                case "predict" -> PredictCommand.run(args, out);
                case "run" -> RunCommand.run(args, out);
                case "demo" -> DemoCommand.run(args, out);
                case "produce" -> ProduceCommand.run(args, out);
                case "consume" -> ConsumeCommand.run(args, out);
                case "publish" -> PublishCommand.publish(args, out);
                case "models" -> PublishCommand.list(args, out);
                case "meta" -> MetaCommand.run(args, out);
                default -> throw new Args.UsageException("unknown command '" + args[0] + "'");
            };
        } catch (Args.UsageException e) {
            err.println("error: " + e.getMessage());
            err.println();
            err.println(usage());
            return 64;
        } catch (WasmInferenceException e) {
            err.println("error (" + e.kind() + "): " + e.getMessage());
            return 2;
        }
    }

    static String usage() {
        return "usage: java -jar wasm-inference-jobs.jar COMMAND ...\n\n"
                + "  " + DemoCommand.USAGE + "\n"
                + "  " + RunCommand.USAGE + "\n"
                + "  " + InspectCommand.USAGE + "\n"
                + "  " + PredictCommand.USAGE + "\n"
                + "  " + ProduceCommand.USAGE + "\n"
                + "  " + ConsumeCommand.USAGE + "\n"
                + "  " + PublishCommand.USAGE + "\n"
                + "  " + MetaCommand.USAGE + "\n";
    }
}
