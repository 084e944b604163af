import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.io.File;
import java.io.FileOutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.zip.GZIPOutputStream;

/**
 * Renders the test set of the paddle-cls sample (PaddleOCR's text-direction classifier): text lines in the
 * DejaVu fonts of Debian's fonts-dejavu-core, upright (label 0) and rotated 180 degrees (label 1), preprocessed
 * as PaddleOCR's classifier does (resize to height 48 keeping the aspect ratio, at most 192 wide, pad on the
 * right), written as ABI v1 JSON records of raw u8 pixels, CHW, shape 3x48x192. The pad is 128, the u8 value
 * closest to PaddleOCR's padding of 0 after normalization ((x / 255 - 0.5) / 0.5; the compiled model applies
 * that normalization to the u8 input).
 *
 * Run with the JDK alone:
 *   java samples/tools/RenderTextLines.java samples/src/main/resources/samples/paddle-cls/test.jsonl.gz
 */
public class RenderTextLines {
    static final int H = 48;
    static final int W = 192;
    static final int PAD = 128;
    static final String FONTS = "/usr/share/fonts/truetype/dejavu/";
    static final List<String> FONT_FILES = List.of("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSerif.ttf",
            "DejaVuSerif-Bold.ttf", "DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf");
    static final int[] SIZES = {20, 28, 36};
    static final List<String> LINES = List.of("Invoice 2026-11-29", "Total: 1,284.50 EUR", "Apache Flink",
            "WebAssembly sandbox", "Kafka topic", "The quick brown fox", "ORDER #A-99173", "Batch of 64",
            "wasm-inference", "Hello, world!");

    public static void main(String[] args) throws Exception {
        File out = new File(args.length > 0 ? args[0] : "test.jsonl.gz");
        int n = 0;
        try (Writer w = new OutputStreamWriter(new GZIPOutputStream(new FileOutputStream(out)),
                StandardCharsets.UTF_8)) {
            for (String file : FONT_FILES) {
                Font base = Font.createFont(Font.TRUETYPE_FONT, new File(FONTS + file));
                for (int size : SIZES) {
                    for (int li = 0; li < LINES.size(); li++) {
                        BufferedImage line = render(LINES.get(li), base.deriveFont((float) size));
                        for (int label = 0; label < 2; label++) {
                            BufferedImage img = label == 0 ? line : rotate180(line);
                            String id = file.replace(".ttf", "").toLowerCase() + "-" + size + "-" + li
                                    + (label == 0 ? "-up" : "-down");
                            w.write(record(id, preprocess(img), label));
                            w.write('\n');
                            n++;
                        }
                    }
                }
            }
        }
        System.out.println("wrote " + n + " records to " + out);
    }

    /** Dark text on a light background, cropped to the text with a small margin, as a text detector's crop. */
    static BufferedImage render(String text, Font font) {
        BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D pg = probe.createGraphics();
        FontMetrics fm = pg.getFontMetrics(font);
        int margin = Math.max(2, font.getSize() / 6);
        int w = fm.stringWidth(text) + 2 * margin;
        int h = fm.getAscent() + fm.getDescent() + 2 * margin;
        pg.dispose();
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(new Color(238, 236, 230));
        g.fillRect(0, 0, w, h);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_FRACTIONALMETRICS, RenderingHints.VALUE_FRACTIONALMETRICS_ON);
        g.setColor(new Color(25, 25, 35));
        g.setFont(font);
        g.drawString(text, margin, margin + fm.getAscent());
        g.dispose();
        return img;
    }

    static BufferedImage rotate180(BufferedImage src) {
        BufferedImage out = new BufferedImage(src.getWidth(), src.getHeight(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        AffineTransform t = new AffineTransform();
        t.rotate(Math.PI, src.getWidth() / 2.0, src.getHeight() / 2.0);
        g.drawImage(src, t, null);
        g.dispose();
        return out;
    }

    /** PaddleOCR cls: resize to height 48, width min(192, ceil(48 * w / h)), bilinear; pad on the right. */
    static int[] preprocess(BufferedImage img) {
        int rw = (int) Math.min(W, Math.ceil(H * (double) img.getWidth() / img.getHeight()));
        BufferedImage resized = new BufferedImage(rw, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = resized.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(img, 0, 0, rw, H, null);
        g.dispose();
        int[] chw = new int[3 * H * W];
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < H; y++) {
                for (int x = 0; x < W; x++) {
                    int v = PAD;
                    if (x < rw) {
                        int rgb = resized.getRGB(x, y);
                        // PaddleOCR reads images with OpenCV: channels in B, G, R order
                        v = (rgb >> (8 * c)) & 0xFF;
                    }
                    chw[(c * H + y) * W + x] = v;
                }
            }
        }
        return chw;
    }

    static String record(String id, int[] data, int label) {
        StringBuilder sb = new StringBuilder(data.length * 4 + 100);
        sb.append("{\"id\":\"").append(id).append("\",\"shape\":[3,48,192],\"dtype\":\"u8\",\"data\":[");
        for (int i = 0; i < data.length; i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append(data[i]);
        }
        return sb.append("],\"label\":").append(label).append('}').toString();
    }
}
