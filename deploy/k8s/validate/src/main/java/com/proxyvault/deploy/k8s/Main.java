package com.proxyvault.deploy.k8s;

import java.nio.file.Path;
import java.util.List;

/**
 * {@code Main [repo root]}: renders every overlay under deploy/k8s/overlays and prints what is wrong
 * with it; exits 1 if anything is. The tests (K8sValidatorTest) do the same for bin/test.
 */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
        Repo repo = args.length > 0 ? new Repo(Path.of(args[0])) : Repo.locate();
        var validator = new K8sValidator(repo.services(), repo.external());
        int bad = 0;
        for (Path overlay : repo.overlays()) {
            List<String> findings = validator.validate(Kustomize.render(overlay));
            String name = repo.root().relativize(overlay).toString();
            if (findings.isEmpty()) {
                System.out.println("ok   " + name);
            } else {
                bad++;
                System.out.println("FAIL " + name);
                findings.forEach(f -> System.out.println("     " + f));
            }
        }
        System.exit(bad == 0 ? 0 : 1);
    }
}
