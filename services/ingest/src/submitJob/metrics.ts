import type { Counter, ServiceMetrics } from '@retail-pulse/shared/service';

/** Jobs and images accepted (answered 201, JobSubmitted confirmed by the broker). */
export class SubmitMetrics {
  private readonly jobs: Counter;
  private readonly images: Counter;

  constructor(metrics: ServiceMetrics) {
    this.jobs = metrics.counter({ name: 'rp_jobs_submitted_total', help: 'Jobs accepted (answered 201)' });
    this.images = metrics.counter({ name: 'rp_images_submitted_total', help: 'Images in the jobs accepted' });
  }

  accepted(images: number): void {
    this.jobs.inc();
    this.images.inc(images);
  }
}
