#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/err.h"
#include "model/plot.h"
#include "model/store.h"

struct plot {
	FILE *gp;
	const char *png;
	char tmp[MODEL_PATH_MAX];
	struct sigaction old_pipe;
};

/* gnuplot strings are single-quoted; refuse what would break out of them. */
static int quotable(const char *what, const char *s)
{
	if (strpbrk(s, "'\n")) {
		cbpf_err("%s: quotes and newlines are not allowed here", what);
		return -EINVAL;
	}
	return 0;
}

static int begin(struct plot *p, const char *png, const char *title)
{
	struct sigaction ign = {.sa_handler = SIG_IGN};

	p->png = png;
	if (quotable(png, png) || quotable(title, title))
		return -EINVAL;
	if (snprintf(p->tmp, sizeof(p->tmp), "%s.tmp.%d", png, (int)getpid()) >=
	    (int)sizeof(p->tmp)) {
		cbpf_err("%s: path too long", png);
		return -ENAMETOOLONG;
	}
	/* A missing gnuplot closes the pipe early; that must be an error, not SIGPIPE. */
	sigaction(SIGPIPE, &ign, &p->old_pipe);
	p->gp = popen("gnuplot", "w");
	if (!p->gp) {
		int err = -errno;

		sigaction(SIGPIPE, &p->old_pipe, NULL);
		cbpf_err("cannot run gnuplot: %s", strerror(-err));
		return err;
	}
	fprintf(p->gp,
		"set terminal pngcairo size 800,600 font 'sans,11'\n"
		"set output '%s'\n"
		"set title '%s'\n"
		"set grid\n"
		"set key bottom right\n"
		"set size square\n"
		"set xrange [0:1]\n"
		"set yrange [0:1]\n",
		p->tmp, title);
	return 0;
}

static int end(struct plot *p)
{
	int status = pclose(p->gp);

	sigaction(SIGPIPE, &p->old_pipe, NULL);
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		unlink(p->tmp);
		cbpf_err("%s: gnuplot failed%s", p->png,
			 WIFEXITED(status) && WEXITSTATUS(status) == 127
			     ? " (not installed? it is in package gnuplot-nox)"
			     : "");
		return -EIO;
	}
	if (rename(p->tmp, p->png)) {
		int err = -errno;

		unlink(p->tmp);
		cbpf_err("cannot write %s: %s", p->png, strerror(-err));
		return err;
	}
	return 0;
}

int model_plot_roc(const char *png, const struct model_roc_point *pts, size_t n, double auc,
		   const char *title)
{
	struct plot p;
	int err = begin(&p, png, title);

	if (err)
		return err;
	fprintf(p.gp, "$roc << EOD\n");
	for (size_t i = 0; i < n; i++)
		fprintf(p.gp, "%.6f %.6f\n", pts[i].fpr, pts[i].tpr);
	fprintf(p.gp,
		"EOD\n"
		"set xlabel 'false positive rate (overlay samples called macvlan)'\n"
		"set ylabel 'true positive rate (macvlan samples found)'\n"
		"plot $roc with lines lw 2 title sprintf('ROC, AUC = %%.4f', %.6f), \\\n"
		"     x with lines dt 2 lc 'gray' title 'chance'\n",
		auc);
	return end(&p);
}

/* 95% Wilson score interval of a binomial share; sane at 0 and 1, unlike p +- s.e. */
static void wilson(double p, double n, double *lo, double *hi)
{
	const double z = 1.959964;
	double d = 1 + z * z / n, c = (p + z * z / (2 * n)) / d;
	double h = z * sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d;

	*lo = c - h;
	*hi = c + h;
}

int model_plot_calibration(const char *png, const struct model_calib_bin *bins,
			   const struct model_calib_bin *exact, size_t nbins, const char *title)
{
	struct plot p;
	int err = begin(&p, png, title);

	if (err)
		return err;
	fprintf(p.gp, "$cal << EOD\n");
	for (size_t b = 0; b < nbins; b++) {
		double lo, hi;

		if (!bins[b].count)
			continue;
		wilson(bins[b].frac_pos, bins[b].count, &lo, &hi);
		fprintf(p.gp, "%.6f %.6f %.6f %.6f %.0f\n", bins[b].mean_pred, bins[b].frac_pos, lo,
			hi, bins[b].count);
	}
	fprintf(p.gp, "EOD\n$exact << EOD\n");
	for (size_t b = 0; exact && b < nbins; b++)
		if (exact[b].count)
			fprintf(p.gp, "%.6f %.6f\n", exact[b].mean_pred, exact[b].frac_pos);
	fprintf(p.gp,
		"EOD\n"
		"set xlabel 'predicted P(macvlan), mean of the bin'\n"
		"set ylabel 'observed share of macvlan labels'\n"
		"set key top left\n"
		"plot $cal using 1:2:3:4 with yerrorbars pt 7 title 'test set, 95%% interval', \\\n"
		"     $cal using 1:2:(sprintf('%%d', $5)) with labels offset 2.5,0 notitle, \\\n");
	if (exact)
		fprintf(p.gp, "     $exact with linespoints pt 6 title 'generator distribution "
			      "(exact)', \\\n");
	fprintf(p.gp, "     x with lines dt 2 lc 'gray' title 'perfect calibration'\n");
	return end(&p);
}
