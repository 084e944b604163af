package io.wasminference.record;

import org.apache.flink.annotation.PublicEvolving;

import java.io.Serializable;

/**
 * One of the top-k classes of a classifier's prediction.
 *
 * @param index class index in the score vector
 * @param label the label the model's metadata gives it (or the index as text)
 * @param probability softmax of the scores
 */
@PublicEvolving
public record ClassScore(int index, String label, float probability) implements Serializable {}
