package io.wasminference.operator;

import org.apache.flink.streaming.api.operators.BoundedMultiInput;
import org.apache.flink.streaming.api.operators.TwoInputStreamOperator;
import org.apache.flink.streaming.api.operators.TwoInputStreamOperatorFactory;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.tasks.mailbox.Mail;
import org.apache.flink.streaming.runtime.tasks.mailbox.TaskMailbox;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;

import java.util.Optional;

/**
 * Flink's {@code TwoInputStreamOperatorTestHarness} for an operator made by its factory (as the job makes it, with
 * the task's mailbox executor), which Flink's harness does not take; plus running the mails the operator put into
 * the task's mailbox, which the test harnesses do not run on their own.
 */
final class TwoInputFactoryHarness<IN1, IN2, OUT> extends AbstractStreamOperatorTestHarness<OUT> {

    TwoInputFactoryHarness(TwoInputStreamOperatorFactory<IN1, IN2, OUT> factory) throws Exception {
        super(factory, 1, 1, 0);
    }

    @SuppressWarnings("unchecked")
    private TwoInputStreamOperator<IN1, IN2, OUT> twoInput() {
        return (TwoInputStreamOperator<IN1, IN2, OUT>) operator;
    }

    void processElement1(IN1 value, long timestamp) throws Exception {
        twoInput().processElement1(new StreamRecord<>(value, timestamp));
    }

    void processElement2(IN2 value, long timestamp) throws Exception {
        twoInput().processElement2(new StreamRecord<>(value, timestamp));
    }

    void endInput(int inputId) throws Exception {
        ((BoundedMultiInput) operator).endInput(inputId);
    }

    /** Whether a mail waits in the task's mailbox. */
    boolean hasMail() {
        return getTaskMailbox().hasMail();
    }

    /** Runs the mails waiting in the task's mailbox, as the task thread would between two records. */
    int runMails() throws Exception {
        int n = 0;
        for (Optional<Mail> mail = getTaskMailbox().tryTake(TaskMailbox.MIN_PRIORITY); mail.isPresent();
                mail = getTaskMailbox().tryTake(TaskMailbox.MIN_PRIORITY)) {
            mail.get().run();
            n++;
        }
        return n;
    }
}
