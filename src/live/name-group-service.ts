// `ngrp:` streams of live applications (SPEC §6): with `nameGroups: { "all": ["_240p", "_720p"] }`,
// `ngrp:myStream_all` is a master playlist of the live streams `myStream_240p` and `myStream_720p`
// as they are published. Each member keeps its rendition number (its place in the group), so a
// player's chunklist URL names the same stream when other members come and go; each member is
// served, and encrypted, exactly as its own live URL serves it.

import type { AppConfig } from '../config/schema.js';
import { HlsError, isHlsError } from '../core/errors.js';
import type { ChunklistInfo, MediaService, SegmentBody, StreamRequest, VariantInfo } from '../core/stream.js';
import type { LiveService } from './live-service.js';

/** Serves name groups over the live service. */
export class NameGroupService implements MediaService<AppConfig> {
  constructor(private readonly live: LiveService) {}

  /** The live stream names of the group a request names, in the group's order. */
  private static members(req: StreamRequest<AppConfig>): string[] {
    const { name } = req.path;
    const cut = name.lastIndexOf('_');
    const group = cut > 0 ? name.slice(cut + 1) : '';
    const app = req.appConfig;
    const suffixes =
      app.type === 'live' && Object.hasOwn(app.nameGroups, group) ? app.nameGroups[group] : undefined;
    if (suffixes === undefined) {
      throw new HlsError('STREAM_NOT_FOUND', `no name group "${group}" in application ${req.path.app}`);
    }
    const base = name.slice(0, cut);
    return suffixes.map((suffix) => `${base}${suffix}`);
  }

  /** The live request of member `rendition`. */
  private static member(req: StreamRequest<AppConfig>, rendition: number): StreamRequest<AppConfig> {
    const name = NameGroupService.members(req)[rendition];
    if (name === undefined) throw new HlsError('NOT_FOUND', 'unknown rendition');
    return { appConfig: req.appConfig, path: { ...req.path, kind: 'live', stream: name, name } };
  }

  async renditions(req: StreamRequest<AppConfig>): Promise<number> {
    return NameGroupService.members(req).length;
  }

  /**
   * The members with segments to play (being published, or waiting for their publisher), under
   * their numbers: one that has only just connected has no codecs or bitrate to list yet.
   */
  async variants(req: StreamRequest<AppConfig>): Promise<readonly VariantInfo[]> {
    const variants: VariantInfo[] = [];
    const members = NameGroupService.members(req);
    for (let rendition = 0; rendition < members.length; rendition++) {
      const member = NameGroupService.member(req, rendition);
      try {
        const { app, instance, name } = member.path;
        if (this.live.stream(app, instance, name).window().length === 0) continue;
        const [v] = await this.live.variants(member);
        if (v) variants.push({ ...v, rendition });
      } catch (err) {
        if (!isHlsError(err) || err.code !== 'STREAM_NOT_FOUND') throw err;
      }
    }
    if (variants.length === 0) {
      throw new HlsError('STREAM_NOT_FOUND', `no stream of name group ${req.path.name} is published`);
    }
    return variants;
  }

  async chunklist(req: StreamRequest<AppConfig>, rendition: number): Promise<ChunklistInfo> {
    return this.live.chunklist(NameGroupService.member(req, rendition), 0);
  }

  async segment(req: StreamRequest<AppConfig>, rendition: number, sequence: number): Promise<SegmentBody> {
    return this.live.segment(NameGroupService.member(req, rendition), 0, sequence);
  }

  async key(
    req: StreamRequest<AppConfig>,
    rendition: number,
    version: string,
    keyIndex: number,
  ): Promise<Buffer | undefined> {
    return this.live.key(NameGroupService.member(req, rendition), 0, version, keyIndex);
  }
}
