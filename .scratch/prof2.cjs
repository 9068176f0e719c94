// self time by url+function for urls matching a pattern
const fs=require('fs');const [,,file,pat,from,to]=process.argv;
const p=JSON.parse(fs.readFileSync(file));const byId=new Map(p.nodes.map(n=>[n.id,n]));
const self=new Map();let t=p.startTime;let tot=0;
for(let i=0;i<p.samples.length;i++){t+=p.timeDeltas[i];const s=(t-p.startTime)/1e6;if(s<+from||s>+to)continue;tot+=p.timeDeltas[i];const cf=byId.get(p.samples[i]).callFrame;if(!(cf.url||'').includes(pat))continue;
const k=cf.url.replace(/.*work\/main\//,'')+' '+cf.functionName+':'+cf.lineNumber+':'+cf.columnNumber;self.set(k,(self.get(k)||0)+p.timeDeltas[i]);}
for(const [k,v] of [...self].sort((a,b)=>b[1]-a[1]).slice(0,30))console.log((100*v/tot).toFixed(2).padStart(6),'%',k);
