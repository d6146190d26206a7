package com.proxyvault.deploy.k8s;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Renders a kustomization with the installed kubectl (its built-in Kustomize; no cluster needed). */
public final class Kustomize {

    private Kustomize() {
    }

    public static String render(Path kustomizationDir) {
        try {
            Process process = new ProcessBuilder("kubectl", "kustomize", kustomizationDir.toString())
                    .redirectErrorStream(false)
                    .start();
            // read both streams fully before waiting: a large render would otherwise fill the pipe
            var out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            var err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException("kubectl kustomize " + kustomizationDir + " failed: " + err.strip());
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException("cannot run kubectl (is it installed?): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
